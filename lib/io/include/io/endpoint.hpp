// An IP address and UDP port, and its conversion to and from sockaddr.
#pragma once

#include "base/ip_address.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <sys/socket.h>

namespace ikekit::io {

struct Endpoint {
  IpAddress addr;
  uint16_t port = 0;

  std::string to_string() const; // "192.0.2.1:500", "[2001:db8::1]:4500"
  friend bool operator==(const Endpoint& a, const Endpoint& b) {
    return a.addr == b.addr && a.port == b.port;
  }
};

// Fills `ss` and returns the length to pass to bind/sendto.
socklen_t to_sockaddr(const Endpoint& e, sockaddr_storage& ss);
// nullopt for a family other than AF_INET/AF_INET6. IPv4-mapped IPv6 stays IPv6.
std::optional<Endpoint> from_sockaddr(const sockaddr_storage& ss);

} // namespace ikekit::io
