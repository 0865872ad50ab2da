// Addresses and prefixes written as text in tests ("10.0.0.1", "fd00::/8"); a typo is a
// test bug, so the parse is not checked.
#pragma once

#include "base/ip_address.hpp"
#include "base/prefix.hpp"

namespace ikekit::test {

inline IpAddress ip(const char* s) { return *IpAddress::parse(s); }
inline IpAddress loopback_v4() { return ip("127.0.0.1"); }
inline Prefix pfx(const char* s) { return *Prefix::parse(s); }

} // namespace ikekit::test
