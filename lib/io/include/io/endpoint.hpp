// The conversion of an Endpoint (base/endpoint.hpp) to and from sockaddr.
#pragma once

#include "base/endpoint.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <sys/socket.h>

namespace ikekit::io {

using ikekit::Endpoint;

// Fills `ss` and returns the length to pass to bind/sendto.
socklen_t to_sockaddr(const Endpoint& e, sockaddr_storage& ss);
// nullopt for a family other than AF_INET/AF_INET6. IPv4-mapped IPv6 stays IPv6.
std::optional<Endpoint> from_sockaddr(const sockaddr_storage& ss);

} // namespace ikekit::io
