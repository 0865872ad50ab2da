#include "io/endpoint.hpp"

#include <cstring>
#include <netinet/in.h>

namespace ikekit::io {

socklen_t to_sockaddr(const Endpoint& e, sockaddr_storage& ss) {
  std::memset(&ss, 0, sizeof ss);
  if (e.address.is_v4()) {
    sockaddr_in sin{};
    sin.sin_family = AF_INET;
    sin.sin_port = htons(e.port);
    std::memcpy(&sin.sin_addr, e.address.bytes().data(), 4);
    std::memcpy(&ss, &sin, sizeof sin);
    return sizeof sin;
  }
  sockaddr_in6 sin6{};
  sin6.sin6_family = AF_INET6;
  sin6.sin6_port = htons(e.port);
  std::memcpy(&sin6.sin6_addr, e.address.bytes().data(), 16);
  std::memcpy(&ss, &sin6, sizeof sin6);
  return sizeof sin6;
}

std::optional<Endpoint> from_sockaddr(const sockaddr_storage& ss) {
  if (ss.ss_family == AF_INET) {
    sockaddr_in sin;
    std::memcpy(&sin, &ss, sizeof sin);
    return Endpoint{IpAddress::v4(ByteView(reinterpret_cast<const uint8_t*>(&sin.sin_addr), 4)),
                    ntohs(sin.sin_port)};
  }
  if (ss.ss_family == AF_INET6) {
    sockaddr_in6 sin6;
    std::memcpy(&sin6, &ss, sizeof sin6);
    return Endpoint{IpAddress::v6(ByteView(reinterpret_cast<const uint8_t*>(&sin6.sin6_addr), 16)),
                    ntohs(sin6.sin6_port)};
  }
  return std::nullopt;
}

} // namespace ikekit::io
