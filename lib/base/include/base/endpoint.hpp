// An IP address and a port: where an IKE or ESP datagram comes from or goes to. The one
// type of the engine (ike::Endpoint), the sockets (io::Endpoint) and the decoder
// (decode::Endpoint).
#pragma once

#include "base/ip_address.hpp"

#include <cstdint>
#include <string>

namespace ikekit {

struct Endpoint {
  IpAddress address;
  uint16_t port = 0;

  std::string to_string() const;          // "192.0.2.1:500", "[2001:db8::1]:4500"
  void append_to(std::string& out) const; // to_string()'s text, appended
  friend bool operator==(const Endpoint& a, const Endpoint& b) {
    return a.address == b.address && a.port == b.port;
  }
};

} // namespace ikekit
