// prf and prf+ (RFC 7296 2.13). Known answers: RFC 4868 2.7.1 (PRF_HMAC_SHA2_*,
// test case 1), RFC 4231 4.3 and 4.7 (HMAC-SHA-256/384/512 test cases 2 and 6: a key
// shorter than the output, and a 131-byte key hashed first, as SKEYSEED's Ni | Nr key
// can be), RFC 2202 3 (HMAC-SHA-1 test cases 2 and 6), RFC 4434 2.1 (AES-XCBC-PRF-128 with 16-, 10-
// and 18-byte keys), RFC 4615 4 (AES-CMAC-PRF-128 with 18-, 16- and 10-byte keys).
#include "crypto/prf.hpp"
#include "test_helpers.hpp"

#include <catch2/catch.hpp>

using namespace ikekit;
using namespace ikekit::crypto;
using ikekit::test::hex;
using ikekit::test::seq;

namespace {
const TransformInfo& prf_for(std::string_view k) {
  const TransformInfo* t = find_keyword(TransformKind::prf, k);
  REQUIRE(t != nullptr);
  return *t;
}
Bytes prf_of(std::string_view keyword, const Bytes& key, const Bytes& msg) {
  auto r = prf(prf_for(keyword), key, {msg});
  REQUIRE(r);
  return Bytes(r->reveal().begin(), r->reveal().end());
}
} // namespace

TEST_CASE("PRF_HMAC_SHA2_*, RFC 4868 2.7.1 test case 1", "[crypto][prf]") {
  Bytes hi(as_bytes("Hi There").begin(), as_bytes("Hi There").end());
  CHECK(prf_of("prfsha256", Bytes(32, 0x0b), hi) ==
        hex("198a607eb44bfbc69903a0f1cf2bbdc5ba0aa3f3d9ae3c1c7a3b1696a0b68cf7"));
  CHECK(prf_of("prfsha384", Bytes(48, 0x0b), hi) ==
        hex("b6a8d5636f5c6a7224f9977dcf7ee6c7fb6d0c48cbdee9737a959796489bddbc"
            "4c5df61d5b3297b4fb68dab9f1b582c2"));
  CHECK(prf_of("prfsha512", Bytes(64, 0x0b), hi) ==
        hex("637edc6e01dce7e6742a99451aae82df23da3e92439e590e43e761b33e910fb8"
            "ac2878ebd5803f6f0b61dbce5e251ff8789a4722c1be65aea45fd464e89f8f5b"));
}

TEST_CASE("PRF_HMAC_SHA2_* and PRF_HMAC_SHA1, RFC 4231 / RFC 2202 test cases 2 and 6",
          "[crypto][prf]") {
  auto text = [](std::string_view t) { return Bytes(t.begin(), t.end()); };
  Bytes jefe = text("Jefe"), want = text("what do ya want for nothing?");
  CHECK(prf_of("prfsha1", jefe, want) == hex("effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"));
  CHECK(prf_of("prfsha256", jefe, want) ==
        hex("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"));
  CHECK(prf_of("prfsha384", jefe, want) ==
        hex("af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e"
            "8e2240ca5e69e2c78b3239ecfab21649"));
  CHECK(prf_of("prfsha512", jefe, want) ==
        hex("164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554"
            "9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737"));
  Bytes large = text("Test Using Larger Than Block-Size Key - Hash Key First");
  CHECK(prf_of("prfsha1", Bytes(80, 0xaa), large) ==
        hex("aa4ae5e15272d00e95705637ce8a3b55ed402112"));
  CHECK(prf_of("prfsha256", Bytes(131, 0xaa), large) ==
        hex("60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"));
  CHECK(prf_of("prfsha384", Bytes(131, 0xaa), large) ==
        hex("4ece084485813e9088d2c63a041bc5b44f9ef1012a2b588f3cd11f05033ac4c6"
            "0c2ef6ab4030fe8296248df163f44952"));
  CHECK(prf_of("prfsha512", Bytes(131, 0xaa), large) ==
        hex("80b24263c7c1a3ebb71493c1dd7be8b49b46d1f41b4aeec1121b013783f8f352"
            "6b56d037e05f2598bd0fd2215d6a1e5295e64f73f63f0aec8b915a985d786598"));
}

TEST_CASE("AES-XCBC-PRF-128, RFC 4434 2.1 test cases", "[crypto][prf]") {
  Bytes msg = seq(20);
  CHECK(prf_of("prfaesxcbc", seq(16), msg) == hex("47f51b4564966215b8985c63055ed308"));
  CHECK(prf_of("prfaesxcbc", seq(10), msg) == hex("0fa087af7d866e7653434e602fdde835"));
  Bytes key18 = seq(16);
  key18.push_back(0xed);
  key18.push_back(0xcb);
  CHECK(prf_of("prfaesxcbc", key18, msg) == hex("8cd3c93ae598a9803006ffb67c40e9e4"));
}

TEST_CASE("AES-CMAC-PRF-128, RFC 4615 4 test cases", "[crypto][prf]") {
  Bytes msg = seq(20);
  Bytes key18 = seq(16);
  key18.push_back(0xed);
  key18.push_back(0xcb);
  CHECK(prf_of("prfaescmac", key18, msg) == hex("84a348a4a45d235babfffc0d2b4da09a"));
  CHECK(prf_of("prfaescmac", seq(16), msg) == hex("980ae87b5f4c9c5214f5b6a8455e4c2d"));
  CHECK(prf_of("prfaescmac", seq(10), msg) == hex("290d9e112edb09ee141fcf64c0b72f3d"));
}

TEST_CASE("prf+ expands per RFC 7296 2.13", "[crypto][prf]") {
  // Expected values computed independently with Python's hmac module and the
  // `cryptography` package's CMAC, implementing T1 = prf(K, S | 0x01),
  // Tn = prf(K, Tn-1 | S | n) literally.
  Bytes s = seq(40, 0x40);
  auto p = Prf::create(prf_for("prfsha256"), seq(32));
  REQUIRE(p);
  // The seed given in two parts, as keymat passes Ni | Nr | SPIi | SPIr.
  auto out = p->plus({ByteView(s).first(13), ByteView(s).subspan(13)}, 100);
  REQUIRE(out);
  CHECK(Bytes(out->reveal().begin(), out->reveal().end()) ==
        hex("299a3679852ac864d1fc23cec6dd9fe20f0133541f8f1f99530f7caba673e263"
            "2655231c5e9d0476f873cf0291ecd8efea02c7dd86df6a17bb5cc6cc47c961d6"
            "df49e473e8856943f4026791354ecfa853eed4e2d57272d4c469ac02ec8c55ce"
            "c0754b0c"));
  auto c = prf_plus(prf_for("prfaescmac"), seq(16), {s}, 40);
  REQUIRE(c);
  CHECK(Bytes(c->reveal().begin(), c->reveal().end()) ==
        hex("45faabaac0cfcc7dc479d71267cd4e29db1ddb7471f882fcc8a43339577e85e890b42d02bb7188b4"));
  // 255 blocks at most (the counter is one octet).
  CHECK(p->plus({s}, 255 * 32));
  CHECK(p->plus({s}, 255 * 32 + 1).error().code == Errc::bad_length);
}

// prf_plus with HMAC runs on this thread's MAC context (keyed once, restarted per block)
// rather than a Prf of its own: the same bytes as Prf::create(...).plus(...) for every
// HMAC prf, key length (empty, short, long enough to be hashed first) and output length
// (one block, a partial block, the 255-block maximum), with the thread's context keyed
// with another key in between.
TEST_CASE("prf_plus on the thread's HMAC context equals a Prf's own", "[crypto][prf]") {
  const Bytes s1 = seq(32), s2 = seq(48);
  for (const char* kw : {"prfsha1", "prfsha256", "prfsha384", "prfsha512"}) {
    const TransformInfo& t = prf_for(kw);
    for (size_t key_len : {size_t(0), size_t(16), size_t(32), size_t(200)}) {
      const Bytes key = seq(key_len);
      const size_t n = t.out_len;
      for (size_t len : {size_t(1), n, 3 * n + 5, 255 * n}) {
        auto own = Prf::create(t, key);
        REQUIRE(own);
        auto want = own->plus({s1, s2}, len);
        REQUIRE(want);
        (void)prf_of(kw, seq(7), s1); // keys the thread's context with another key
        auto got = prf_plus(t, key, {s1, s2}, len);
        REQUIRE(got);
        CHECK(got->size() == len);
        CHECK(equal_bytes(got->reveal(), want->reveal()));
      }
    }
    auto too_long = prf_plus(t, seq(16), {s1}, 255 * size_t(t.out_len) + 1);
    REQUIRE(!too_long);
    CHECK(too_long.error().field == "prf_plus.length");
  }
}
