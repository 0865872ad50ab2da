// An address prefix ("10.1.0.0/16", "2001:db8::1/64") as used by routes, interface
// addresses, traffic selectors and XFRM selectors.
#pragma once

#include "base/ip_address.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ikekit {

struct Prefix {
  IpAddress addr;
  uint8_t len = 0; // 0..32 (IPv4) or 0..128 (IPv6)

  static Prefix host(const IpAddress& a) { return Prefix{a, uint8_t(a.is_v4() ? 32 : 128)}; }
  // 0.0.0.0/0 or ::/0.
  static Prefix any(IpAddress::Family f);
  // "addr/len" or a bare address (a host prefix); nullopt if malformed.
  static std::optional<Prefix> parse(std::string_view text);
  std::string to_string() const;
  void append_to(std::string& out) const; // to_string()'s text, appended

  // Whether `a` lies within the prefix (same family, the first `len` bits equal).
  bool contains(const IpAddress& a) const;
  // Whether the two prefixes share an address (same family and one contains the other).
  bool overlaps(const Prefix& o) const;

  friend bool operator==(const Prefix& a, const Prefix& b) {
    return a.addr == b.addr && a.len == b.len;
  }
};

} // namespace ikekit
