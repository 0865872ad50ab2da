// Known answers for the transforms ike-decode reads that the engine does not negotiate,
// and for AES-CTR beyond RFC 3686 vector #1:
//   AES-CCM in the RFC 4309 / RFC 5282 format (KEYMAT = key || 3-byte salt, 8-byte IV,
//   11-byte nonce): vectors from the Linux kernel crypto tests (FIPS CAVS files), the ones
//   strongSwan checks its CCM against; RFC 3610 and SP 800-38C have no 11-byte nonce.
//   AES-CTR: RFC 3686 6 test vectors #3 (AES-128, 32 bytes) and #9 (AES-256).
//   3DES-CBC (RFC 2451): NIST SP 800-67 B.1 (three keys); a CBC first block with a zero
//   IV is the ECB block.
#include "crypto/aead.hpp"
#include "crypto/cbc_hmac.hpp"
#include "crypto/proposal_string.hpp"
#include "test_helpers.hpp"

#include <catch2/catch.hpp>

using namespace ikekit;
using namespace ikekit::crypto;
using ikekit::test::hex;
using ikekit::test::seq;

namespace {

const TransformInfo& encr(std::string_view kw) {
  const TransformInfo* t = find_keyword(TransformKind::encr, kw);
  REQUIRE(t != nullptr);
  return *t;
}

// `expected` is ciphertext || tag, as the vectors give it.
void check_ccm(std::string_view kw, const Bytes& key_salt, const Bytes& iv, const Bytes& aad,
               const Bytes& plain, const Bytes& expected) {
  INFO(kw);
  auto aead = Aead::create(encr(kw), key_salt);
  REQUIRE(aead);
  const size_t icv_len = aead->info().icv_len;
  REQUIRE(expected.size() == plain.size() + icv_len);
  Bytes buf = plain;
  Bytes icv(icv_len);
  REQUIRE(aead->seal(iv, aad, buf, icv));
  buf.insert(buf.end(), icv.begin(), icv.end());
  CHECK(buf == expected);

  // The same context opens several packets in a row (one context per SA direction).
  for (int round = 0; round < 2; ++round) {
    Bytes text(expected.begin(), expected.end() - long(icv_len));
    Bytes tag(expected.end() - long(icv_len), expected.end());
    REQUIRE(aead->open(iv, aad, text, tag));
    CHECK(text == plain);
  }
  Bytes text(expected.begin(), expected.end() - long(icv_len));
  Bytes tag(expected.end() - long(icv_len), expected.end());
  tag.back() ^= 1;
  auto bad = aead->open(iv, aad, text, tag);
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code == Errc::integrity);
  // After a failure the context still opens a good packet.
  Bytes again(expected.begin(), expected.end() - long(icv_len));
  tag.back() ^= 1;
  CHECK(aead->open(iv, aad, again, tag));
}

} // namespace

TEST_CASE("AES-128-CCM-16, RFC 4309 format, no AAD", "[crypto][ccm]") {
  check_ccm("aes128ccm16", hex("83ac5466c2ebe5052e01d1fc5d82662e96ac59"), hex("3007a1e2a2c75524"),
            {}, hex("19c881f6e986ff930b7867e5bbb7fc6e8377b3a60c8c9f9c352eade062f991a1"),
            hex("ab6fe1691d1999a892a0c46f7ee28bb170bb8ca64c6e978a572bbe5d98a6b132"
                "da24ead9a13998fda4bed9f21a6d22a8"));
}

TEST_CASE("AES-192-CCM-16, RFC 4309 format, AAD", "[crypto][ccm]") {
  check_ccm("aes192ccm16", hex("56df5c8f263f0e42ef7ad3cefc846062cab440af5fc9c901d63c8c"),
            hex("8684b6cdef092e94"),
            hex("0265783ce9213091b1b9da769a786d95f28832a3f250cb4ce300736984698779"),
            hex("9fd2024b5249313c43693a2d8e70ad7ee0e54609808913b28c8bd93f86fbb56b"),
            hex("39df7c3c5a29b9625d51c216d8bd069f9b6a0970c15183c266881d4f9adae01e"
                "c7791158e56b20407aea46428be46fe1"));
}

TEST_CASE("AES-256-CCM-8 and AES-256-CCM-12, RFC 4309 format, AAD", "[crypto][ccm]") {
  check_ccm("aes256ccm8",
            hex("e08d997160d7971abd0199d58adf713ad3df244b5e3d4b4e307ab9d8530a5e2b1e2991"),
            hex("ad8ec1530acf2dbe"),
            hex("19b61f57c4f3f08b782b9402290f42276b75cb9834087e79e43e490d848b2287"),
            hex("e1d9d813eb3a753f9dbd5f66bedcbb66bf1799624a39271f1ddc24ae192f984c"),
            hex("19b86133452b43966f51d020307d9bc6263df8c96516a89ff0621734f21e8d75"
                "4e13ccc0c32a542d"));
  check_ccm("aes256ccm12",
            hex("7cc8183b8d99e07c4541b8bd5ca7c2328ab80259a4fea92c09759a9b3c9b2739f9d94e"),
            hex("63b53d9d43f61e50"),
            hex("57f56b8b575c3d3b1302010c834c96358ed639cf7d149b94b03936e68f57e013"),
            hex("3b6c2936b6ef07a68372074fcffa66895fcab1bad58f2c2730db750993d465e4"),
            hex("b0885a33aae5c71d8523c7c62ff41e3dcc63442507784f9e96b888ebbc481f06"
                "39af39acd84a80397b728af7"));
}

TEST_CASE("AES-CCM: the key must be key || 3-byte salt", "[crypto][ccm]") {
  auto r = Aead::create(encr("aes128ccm12"), seq(16 + 4));
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::bad_length);
  CHECK(r.error().message.find("19 bytes") != std::string::npos);
}

TEST_CASE("AES-CTR, RFC 3686 6 test vectors #3 and #9", "[crypto][cipher]") {
  auto c128 = Cipher::create(encr("aes128ctr"), hex("7e24067817fae0d743d6ce1f32539163006cb6db"));
  REQUIRE(c128);
  Bytes buf = seq(32);
  REQUIRE(c128->encrypt(hex("c0543b59da48d90b"), buf));
  CHECK(buf == hex("5104a106168a72d9790d41ee8edad388eb2e1efc46da57c8fce630df9141be28"));

  auto c256 = Cipher::create(
      encr("aes256ctr"),
      hex("776beff2851db06f4c8a0542c8696f6c6a81af1eec96b4d37fc1d689e6c1c10400000060"));
  REQUIRE(c256);
  Bytes msg(as_bytes("Single block msg").begin(), as_bytes("Single block msg").end());
  Bytes ct = msg;
  REQUIRE(c256->encrypt(hex("db5672c97aa8f0b2"), ct));
  CHECK(ct == hex("145ad01dbf824ec7560863dc71e3e0c0"));
  REQUIRE(c256->decrypt(hex("db5672c97aa8f0b2"), ct));
  CHECK(ct == msg);
}

TEST_CASE("3DES-CBC, NIST SP 800-67 B.1 with the RFC 2451 layout", "[crypto][cipher]") {
  const TransformInfo& t = encr("3des");
  CHECK(t.id == 3);       // ENCR_3DES, RFC 7296 3.3.2
  CHECK(t.key_len == 24); // RFC 2451 2.2: 192 bits with parity
  CHECK(t.iv_len == 8);   // RFC 2451 2.3: 64-bit IV
  CHECK(t.block_size == 8);
  auto c = Cipher::create(t, hex("0123456789abcdef23456789abcdef01456789abcdef0123"));
  REQUIRE(c);
  Bytes block = hex("5468652071756663"); // "The qufc"
  REQUIRE(c->encrypt(hex("0000000000000000"), block));
  CHECK(block == hex("a826fd8ce53b855f"));
  // CBC chains: the second block of "The qufck brown " is E(P2 xor C1).
  Bytes two = hex("54686520717566636b2062726f776e20");
  Bytes iv = hex("0011223344556677");
  Bytes copy = two;
  REQUIRE(c->encrypt(iv, copy));
  CHECK(copy != two);
  REQUIRE(c->decrypt(iv, copy));
  CHECK(copy == two);
  Bytes odd(12);
  CHECK(c->encrypt(iv, odd).error().code == Errc::bad_length);
}

TEST_CASE("decode-only transforms are in the table but never negotiated", "[crypto][suite]") {
  for (std::string_view kw : {"3des", "aes128ccm8", "aes192ccm12", "aes256ccm16"}) {
    INFO(kw);
    const TransformInfo* t = find_keyword(kw);
    REQUIRE(t);
    CHECK(t->decode_only);
    auto ike = parse_proposal(std::string(kw) + "-sha256-x25519", ProposalKind::ike);
    REQUIRE_FALSE(ike);
    CHECK(ike.error().field == "ike_proposal");
    CHECK(ike.error().message.find("does not negotiate") != std::string::npos);
    CHECK(ike.error().message.find("expected one of") != std::string::npos);
    CHECK(ike.error().message.find(", 3des") == std::string::npos);
    auto esp = parse_proposal(std::string(kw) + (t->aead ? "" : "-sha1"), ProposalKind::esp);
    REQUIRE_FALSE(esp);
  }
  CHECK_FALSE(find_keyword("aes256ctr")->decode_only);
  CHECK_FALSE(find_keyword("aes256gcm16")->decode_only);
  CHECK(find_transform(TransformKind::encr, 15, 128)->wireshark_name ==
        "AES-CCM-128 with 12 octet ICV [RFC5282]");
  CHECK(find_transform(TransformKind::encr, 3)->esp_wireshark_name == "TripleDES-CBC [RFC2451]");
}
