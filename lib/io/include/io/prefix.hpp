// An address prefix ("10.1.0.0/16", "2001:db8::1/64") as used by routes, interface
// addresses and XFRM selectors.
#pragma once

#include "base/ip_address.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ikekit::io {

struct Prefix {
  IpAddress addr;
  uint8_t len = 0; // 0..32 (IPv4) or 0..128 (IPv6)

  static Prefix host(const IpAddress& a) { return Prefix{a, uint8_t(a.is_v4() ? 32 : 128)}; }
  // "addr/len" or a bare address (a host prefix); nullopt if malformed.
  static std::optional<Prefix> parse(std::string_view text);
  std::string to_string() const;

  friend bool operator==(const Prefix& a, const Prefix& b) {
    return a.addr == b.addr && a.len == b.len;
  }
};

} // namespace ikekit::io
