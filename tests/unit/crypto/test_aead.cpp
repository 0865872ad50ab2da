// AEAD known answers: NIST GCM spec (McGrew & Viega, "The Galois/Counter Mode of
// Operation", test cases 3, 4 and 16) and RFC 8439 2.8.2 (ChaCha20-Poly1305, as RFC 7634 uses it).
#include "crypto/aead.hpp"
#include "test_helpers.hpp"

#include <catch2/catch.hpp>

using namespace ikekit;
using namespace ikekit::crypto;
using ikekit::test::hex;

namespace {

const TransformInfo& row(std::string_view kw) {
  const TransformInfo* t = find_keyword(TransformKind::encr, kw);
  REQUIRE(t != nullptr);
  return *t;
}

// The GCM spec's 12-byte IV split as RFC 4106 does: salt (4) || explicit IV (8).
void check_gcm(std::string_view kw, const Bytes& key, const Bytes& iv12, const Bytes& aad,
               const Bytes& pt, const Bytes& ct, const Bytes& tag) {
  Bytes key_salt = key;
  key_salt.insert(key_salt.end(), iv12.begin(), iv12.begin() + 4);
  ByteView iv(iv12.data() + 4, 8);
  auto aead = Aead::create(row(kw), key_salt);
  REQUIRE(aead);
  Bytes buf = pt;
  Bytes icv(aead->info().icv_len);
  REQUIRE(aead->seal(iv, aad, buf, icv));
  CHECK(buf == ct);
  CHECK(equal_bytes(icv, ByteView(tag).first(icv.size())));

  REQUIRE(aead->open(iv, aad, buf, icv));
  CHECK(buf == pt);

  icv[0] ^= 1;
  auto bad = aead->open(iv, aad, buf = ct, icv);
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code == Errc::integrity);
}

const char* kGcmP = "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
                    "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255";

} // namespace

TEST_CASE("AES-128-GCM, GCM spec test case 3 (no AAD)", "[crypto][aead]") {
  Bytes ct = hex("42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e"
                 "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091473f5985");
  for (auto kw : {"aes128gcm16", "aes128gcm12", "aes128gcm8"})
    check_gcm(kw, hex("feffe9928665731c6d6a8f9467308308"), hex("cafebabefacedbaddecaf888"), {},
              hex(kGcmP), ct, hex("4d5c2af327cd64a62cf35abd2ba6fab4"));
}

TEST_CASE("AES-128-GCM, GCM spec test case 4 (AAD, 60-byte plaintext)", "[crypto][aead]") {
  Bytes pt = hex(kGcmP);
  pt.resize(60);
  Bytes ct = hex("42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e"
                 "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091");
  check_gcm("aes128gcm16", hex("feffe9928665731c6d6a8f9467308308"), hex("cafebabefacedbaddecaf888"),
            hex("feedfacedeadbeeffeedfacedeadbeefabaddad2"), pt, ct,
            hex("5bc94fbc3221a5db94fae95ae7121a47"));
}

TEST_CASE("AES-256-GCM, GCM spec test case 16 (AAD, 60-byte plaintext)", "[crypto][aead]") {
  Bytes pt = hex(kGcmP);
  pt.resize(60);
  Bytes ct = hex("522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
                 "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662");
  check_gcm("aes256gcm16", hex("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308"),
            hex("cafebabefacedbaddecaf888"), hex("feedfacedeadbeeffeedfacedeadbeefabaddad2"), pt,
            ct, hex("76fc6ece0f4e1768cddf8853bb2d551b"));
}

TEST_CASE("ChaCha20-Poly1305, RFC 8439 2.8.2 AEAD vector", "[crypto][aead]") {
  // RFC 8439 2.8.2: nonce 07000000 || 4041424344454647. In RFC 7634 terms the first 4
  // bytes are the salt (from KEYMAT) and the last 8 the explicit IV.
  Bytes key = hex("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f");
  Bytes pt =
      Bytes(as_bytes("Ladies and Gentlemen of the class of '99: If I could offer you only one "
                     "tip for the future, sunscreen would be it.")
                .begin(),
            as_bytes("Ladies and Gentlemen of the class of '99: If I could offer you only one "
                     "tip for the future, sunscreen would be it.")
                .end());
  Bytes ct = hex("d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6"
                 "3dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36"
                 "92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc"
                 "3ff4def08e4b7a9de576d26586cec64b6116");
  check_gcm("chacha20poly1305", key, hex("070000004041424344454647"),
            hex("50515253c0c1c2c3c4c5c6c7"), pt, ct, hex("1ae10b594f09e26a7e902ecbd0600691"));
}

TEST_CASE("Aead rejects wrong key, IV and ICV sizes", "[crypto][aead]") {
  CHECK(Aead::create(row("aes128gcm16"), Bytes(16)).error().code == Errc::bad_length);
  CHECK(Aead::create(row("aes128"), Bytes(16)).error().code == Errc::unsupported);
  auto a = Aead::create(row("aes128gcm16"), Bytes(20));
  REQUIRE(a);
  Bytes buf(10), icv(16);
  CHECK(a->seal(Bytes(7), {}, buf, icv).error().field == "iv");
  Bytes short_icv(8);
  CHECK(a->seal(Bytes(8), {}, buf, short_icv).error().field == "icv");
}
