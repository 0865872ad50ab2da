// Cipher / Integ / Mac known answers:
//   RFC 3602 4 case #1 (AES-128-CBC), RFC 3686 6 test vector #1 (AES-CTR),
//   RFC 2202 3 test case 1 (HMAC-SHA1), RFC 4231 4.2 test case 1 (HMAC-SHA-256),
//   RFC 4868 2.7.2.x test case 1 (AUTH_HMAC_SHA2_*: the truncated outputs),
//   RFC 3566 4.6 (AES-XCBC-MAC-96), RFC 4493 4 (AES-CMAC).
#include "crypto/cbc_hmac.hpp"
#include "crypto/mac.hpp"
#include "test_helpers.hpp"

#include <catch2/catch.hpp>

using namespace ikekit;
using namespace ikekit::crypto;
using ikekit::test::hex;
using ikekit::test::seq;

namespace {
const TransformInfo& transform_for(std::string_view k) {
  const TransformInfo* t = find_keyword(k);
  REQUIRE(t != nullptr);
  return *t;
}
Bytes mac_of(std::string_view keyword, const Bytes& key, const Bytes& msg) {
  auto m = Mac::create(transform_for(keyword), key);
  REQUIRE(m);
  Bytes out(m->size());
  REQUIRE(m->compute({msg}, out));
  return out;
}
} // namespace

TEST_CASE("AES-128-CBC, RFC 3602 4 case #1", "[crypto][cipher]") {
  auto c = Cipher::create(transform_for("aes128"), hex("06a9214036b8a15b512e03d534120006"));
  REQUIRE(c);
  Bytes iv = hex("3dafba429d9eb430b422da802c9fac41");
  Bytes buf(as_bytes("Single block msg").begin(), as_bytes("Single block msg").end());
  REQUIRE(c->encrypt(iv, buf));
  CHECK(buf == hex("e353779c1079aeb82708942dbe77181a"));
  REQUIRE(c->decrypt(iv, buf));
  CHECK(buf == Bytes(as_bytes("Single block msg").begin(), as_bytes("Single block msg").end()));
  Bytes odd(15);
  CHECK(c->encrypt(iv, odd).error().code == Errc::bad_length);
}

TEST_CASE("AES-128-CTR, RFC 3686 6 test vector #1", "[crypto][cipher]") {
  // KEYMAT slice = key || nonce (RFC 3686 5.1).
  auto c =
      Cipher::create(transform_for("aes128ctr"), hex("ae6852f8121067cc4bf7a5765577f39e00000030"));
  REQUIRE(c);
  Bytes iv = hex("0000000000000000");
  Bytes buf(as_bytes("Single block msg").begin(), as_bytes("Single block msg").end());
  REQUIRE(c->encrypt(iv, buf));
  CHECK(buf == hex("e4095d4fb7a7b3792d6175a3261311b8"));
  REQUIRE(c->decrypt(iv, buf));
  CHECK(buf[0] == 'S');
}

TEST_CASE("HMAC-SHA1 and HMAC-SHA-256, RFC 2202 / RFC 4231 test case 1", "[crypto][mac]") {
  Bytes hi(as_bytes("Hi There").begin(), as_bytes("Hi There").end());
  CHECK(mac_of("prfsha1", Bytes(20, 0x0b), hi) == hex("b617318655057264e28bc0b6fb378c8ef146be00"));
  CHECK(mac_of("prfsha256", Bytes(20, 0x0b), hi) ==
        hex("b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"));
}

// Every HMAC-SHA-256 context is a copy of one per-process template (fetched.cpp): two
// live contexts with different keys must not share a key, before or after other uses.
TEST_CASE("HMAC contexts from the shared template keep their own keys", "[crypto][mac]") {
  Bytes hi(as_bytes("Hi There").begin(), as_bytes("Hi There").end());
  Bytes what(as_bytes("what do ya want for nothing?").begin(),
             as_bytes("what do ya want for nothing?").end());
  auto a = Mac::create(transform_for("prfsha256"), Bytes(20, 0x0b));  // RFC 4231 4.2 test case 1
  auto b = Mac::create(transform_for("prfsha256"), as_bytes("Jefe")); // RFC 4231 4.3 test case 2
  REQUIRE(a);
  REQUIRE(b);
  Bytes out(32);
  for (int round = 0; round < 2; ++round) {
    REQUIRE(b->compute({what}, out));
    CHECK(out == hex("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"));
    REQUIRE(a->compute({hi}, out));
    CHECK(out == hex("b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"));
  }
}

TEST_CASE("AUTH_HMAC_SHA2_*, RFC 4868 2.7.2 test case 1", "[crypto][integ]") {
  Bytes hi(as_bytes("Hi There").begin(), as_bytes("Hi There").end());
  struct Case {
    const char* keyword;
    size_t key_len;
    const char* auth;
  } cases[] = {
      {"sha256", 32, "198a607eb44bfbc69903a0f1cf2bbdc5"},
      {"sha384", 48, "b6a8d5636f5c6a7224f9977dcf7ee6c7fb6d0c48cbdee973"},
      {"sha512", 64, "637edc6e01dce7e6742a99451aae82df23da3e92439e590e43e761b33e910fb8"},
      // RFC 2404 truncation of RFC 2202 test case 1.
      {"sha1", 20, "b617318655057264e28bc0b6"},
  };
  for (const auto& c : cases) {
    INFO(c.keyword);
    auto integ = Integ::create(transform_for(c.keyword), Bytes(c.key_len, 0x0b));
    REQUIRE(integ);
    Bytes icv(integ->info().icv_len);
    // split the message to exercise the a || b form
    REQUIRE(integ->compute(ByteView(hi).first(3), ByteView(hi).subspan(3), icv));
    CHECK(icv == hex(c.auth));
    CHECK(integ->verify(hi, {}, icv));
    icv.back() ^= 0x80;
    CHECK(integ->verify(hi, {}, icv).error().code == Errc::integrity);
  }
  CHECK(Integ::create(transform_for("sha256"), Bytes(20)).error().code == Errc::bad_length);
}

TEST_CASE("AES-XCBC-MAC, RFC 3566 4.6 test cases", "[crypto][mac]") {
  Bytes key = seq(16);
  CHECK(mac_of("aesxcbc", key, {}) == hex("75f0251d528ac01c4573dfd584d79f29"));
  CHECK(mac_of("aesxcbc", key, seq(3)) == hex("5b376580ae2f19afe7219ceef172756f"));
  CHECK(mac_of("aesxcbc", key, seq(16)) == hex("d2a246fa349b68a79998a4394ff7a263"));
  CHECK(mac_of("aesxcbc", key, seq(20)) == hex("47f51b4564966215b8985c63055ed308"));
  CHECK(mac_of("aesxcbc", key, seq(32)) == hex("f54f0ec8d2b9f3d36807734bd5283fd4"));
  CHECK(mac_of("aesxcbc", key, seq(34)) == hex("becbb3bccdb518a30677d5481fb6b4d8"));
  CHECK(mac_of("aesxcbc", key, Bytes(1000, 0)) == hex("f0dafee895db30253761103b5d84528f"));
  // AES-XCBC-MAC-96 truncates to the first 12 bytes (RFC 3566 4.3).
  auto integ = Integ::create(transform_for("aesxcbc"), key);
  REQUIRE(integ);
  Bytes icv(12);
  Bytes m = seq(34);
  REQUIRE(integ->compute(ByteView(m).first(17), ByteView(m).subspan(17), icv));
  CHECK(icv == hex("becbb3bccdb518a30677d548"));
}

TEST_CASE("AES-CMAC, RFC 4493 4 examples", "[crypto][mac]") {
  Bytes key = hex("2b7e151628aed2a6abf7158809cf4f3c");
  Bytes m = hex("6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51"
                "30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710");
  CHECK(mac_of("aescmac", key, {}) == hex("bb1d6929e95937287fa37d129b756746"));
  CHECK(mac_of("aescmac", key, Bytes(m.begin(), m.begin() + 16)) ==
        hex("070a16b46b4d4144f79bdd9dd04a287c"));
  CHECK(mac_of("aescmac", key, Bytes(m.begin(), m.begin() + 40)) ==
        hex("dfa66747de9ae63030ca32611497c827"));
  CHECK(mac_of("aescmac", key, m) == hex("51f0bebf7e3b9d92fc49741779363cfe"));
}
