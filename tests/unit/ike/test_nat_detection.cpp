// RFC 7296 2.23: NAT_DETECTION_*_IP = SHA-1(SPIi | SPIr | IP | port). Expected values
// computed with Python's hashlib.
#include "base/hex.hpp"
#include "ike/engine_impl.hpp"

#include <catch2/catch.hpp>

using namespace ikekit;
using namespace ikekit::ike;

TEST_CASE("NAT detection hash over SPIs, address and port", "[ike][nat]") {
  Endpoint v4{*IpAddress::parse("192.0.2.1"), 500};
  CHECK(to_hex(nat_detection_hash(0x0102030405060708, 0x1112131415161718, v4)) ==
        "d798d986143f878f70765e0e869c80bbc375f701");
  Endpoint v6{*IpAddress::parse("2001:db8::1"), 4500};
  CHECK(to_hex(nat_detection_hash(0x0102030405060708, 0, v6)) ==
        "98c75483db80168697635aa7844504963e87de33");
}
