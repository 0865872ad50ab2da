// crypto/digest.hpp: SHA-256 and SHA-1 (FIPS 180-4 test vectors) and the constant-time comparison.
#include "base/hex.hpp"
#include "crypto/digest.hpp"

#include <catch2/catch.hpp>

using namespace ikekit;
using namespace ikekit::crypto;

TEST_CASE("sha256: FIPS 180-4 examples", "[crypto][digest]") {
  auto hex = [](const Sha256& d) { return to_hex(ByteView(d.data(), d.size())); };
  CHECK(hex(sha256(as_bytes(std::string_view("abc")))) ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(hex(sha256({})) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST_CASE("sha1: FIPS 180-4 examples (the NAT detection hash)", "[crypto][digest]") {
  auto hex = [](const Sha1& d) { return to_hex(ByteView(d.data(), d.size())); };
  CHECK(hex(sha1(as_bytes(std::string_view("abc")))) == "a9993e364706816aba3e25717850c26c9cd0d89d");
  CHECK(hex(sha1(as_bytes(
            std::string_view("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")))) ==
        "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
  CHECK(hex(sha1({})) == "da39a3ee5e6b4b0d3255bfef95601890afd80709");
}

TEST_CASE("constant_time_equal: bytes and lengths", "[crypto][digest]") {
  Bytes a{1, 2, 3}, b{1, 2, 3}, c{1, 2, 4}, d{1, 2};
  CHECK(constant_time_equal(a, b));
  CHECK_FALSE(constant_time_equal(a, c));
  CHECK_FALSE(constant_time_equal(a, d));
  CHECK(constant_time_equal({}, {}));
}
