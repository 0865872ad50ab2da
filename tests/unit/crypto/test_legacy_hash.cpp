// Known answers for the legacy primitives behind MS-CHAPv2 and RADIUS: MD4 (RFC 1320
// A.5), MD5 (RFC 1321 A.5), HMAC-MD5 (RFC 2104 / RFC 2202 test case 1), single DES
// (FIPS 81 B.1 first block, "Now is t").
#include "crypto/legacy_hash.hpp"
#include "test_helpers.hpp"

#include <catch2/catch.hpp>

using namespace ikekit;
using namespace ikekit::crypto;
using ikekit::test::hex;

TEST_CASE("legacy provider: MD4 and DES load") { REQUIRE(legacy_provider_available()); }

TEST_CASE("MD4, MD5, SHA-1 of \"abc\"") {
  uint8_t out[20];
  REQUIRE(legacy_digest(LegacyDigest::md4, {as_bytes("a"), as_bytes("bc")}, out));
  CHECK(Bytes(out, out + 16) == hex("a448017aaf21d8525fc10ae87aa6729d"));
  REQUIRE(legacy_digest(LegacyDigest::md5, {as_bytes("abc")}, out));
  CHECK(Bytes(out, out + 16) == hex("900150983cd24fb0d6963f7d28e17f72"));
  REQUIRE(legacy_digest(LegacyDigest::sha1, {as_bytes("abc")}, out));
  CHECK(Bytes(out, out + 20) == hex("a9993e364706816aba3e25717850c26c9cd0d89d"));
  REQUIRE_FALSE(legacy_digest(LegacyDigest::sha1, {as_bytes("abc")}, MutBytes(out, 16)));
}

TEST_CASE("HMAC-MD5: RFC 2202 test case 1") {
  uint8_t out[16];
  REQUIRE(hmac_md5(Bytes(16, 0x0b), {as_bytes("Hi "), as_bytes("There")}, out));
  CHECK(Bytes(out, out + 16) == hex("9294727a3638bb1c13f48ef8158bfc9d"));
}

TEST_CASE("DES-ECB: FIPS 81 B.1") {
  uint8_t out[8];
  REQUIRE(des_encrypt_block(hex("0123456789abcdef"), hex("4e6f772069732074"), out));
  CHECK(Bytes(out, out + 8) == hex("3fa40e8a984d4815"));
  REQUIRE_FALSE(des_encrypt_block(hex("0123456789ab"), hex("4e6f772069732074"), out));
}
