// Addresses written as text in tests ("10.0.0.1", "fd00::1"); a typo is a test bug, so
// the parse is not checked.
#pragma once

#include "base/ip_address.hpp"

namespace ikekit::test {

inline IpAddress ip(const char* s) { return *IpAddress::parse(s); }
inline IpAddress loopback_v4() { return ip("127.0.0.1"); }

} // namespace ikekit::test
