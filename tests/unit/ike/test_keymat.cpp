// The IKEv2 key schedule (RFC 7296 2.14, 2.17, 2.18).
//
// Expected values were computed independently by a literal Python transcription of the
// RFC formulas (Python's hmac module and the `cryptography` package's AES-CMAC), not by
// this code: SKEYSEED = prf(Ni | Nr, g^ir); prf+(K, S) = T1 | T2 | ... with
// Tn = prf(K, Tn-1 | S | n). Inputs: Ni = 00..1f, Nr = 80..9f, g^ir = 80..bf (64 bytes),
// SPIi = 0102030405060708, SPIr = 1112131415161718.
#include "base/hex.hpp"
#include "ike/keymat.hpp"
#include "secret_text.hpp"

#include <catch2/catch.hpp>

using namespace ikekit;
using namespace ikekit::test;
using namespace ikekit::ike;
using crypto::find_keyword;

namespace {

Bytes hexb(std::string_view h) {
  auto r = from_hex(h, "test");
  REQUIRE(r);
  return *r;
}
Bytes seq(size_t n, uint8_t start) {
  Bytes b(n);
  for (size_t i = 0; i < n; ++i)
    b[i] = uint8_t(start + i);
  return b;
}

const Bytes kNi = seq(32, 0x00);
const Bytes kNr = seq(32, 0x80);
const Bytes kGir = seq(64, 0x80);
constexpr uint64_t kSpiI = 0x0102030405060708;
constexpr uint64_t kSpiR = 0x1112131415161718;

} // namespace

TEST_CASE("keymat: IKE SA keys, aes128-sha256-prfsha256 (RFC 7296 2.14)", "[ike][keymat]") {
  IkeTransforms t{find_keyword("aes128"), find_keyword("sha256"), find_keyword("prfsha256")};
  auto k = derive_ike_keys(t, kNi, kNr, kGir, kSpiI, kSpiR);
  REQUIRE(k);
  CHECK(secret_hex(k->skeyseed) ==
        "6b6e3b164748f44d94158d77c3058ae190265de65c0a0c26fac6eff85d243f75");
  CHECK(secret_hex(k->sk_d) == "355ba55641de51911bca30eeede052383b93fb01e58d0e2e3fd6da145ab8fc86");
  CHECK(secret_hex(k->sk_ai) == "f4a707c35b2fe5cdfd4a860ca5e633ed752fe51e77640c9db8a70f32170e3e6e");
  CHECK(secret_hex(k->sk_ar) == "2ddf8c55ecd3bf9f92a40f9785da33360989e9fdbf43a9929e0190b258ef1806");
  CHECK(secret_hex(k->sk_ei) == "b80ba4051a49c1b5850d6a48a0f8a5d9");
  CHECK(secret_hex(k->sk_er) == "4e0c4139beb51941684e994fb9167883");
  CHECK(secret_hex(k->sk_pi) == "d812902fb189f6f06744d102eb55209cb47826f2b9f4944a24689ad0ad09225e");
  CHECK(secret_hex(k->sk_pr) == "8cae3784655cc0f173d4fe302d6e346f06e9a07e830fdc605f93baf3c6881d6b");

  // The same from the logged SKEYSEED (how a capture cross-check would call it).
  auto k2 = derive_ike_keys_from_skeyseed(t, SecretBytes(k->skeyseed), kNi, kNr, kSpiI, kSpiR);
  REQUIRE(k2);
  CHECK(secret_hex(k2->sk_pr) == secret_hex(k->sk_pr));
}

TEST_CASE("keymat: fixed-key prf takes half of Ni and half of Nr (RFC 7296 2.14)",
          "[ike][keymat]") {
  // aes256gcm16-prfaescmac: SKEYSEED = AES-CMAC(Ni[0..8) | Nr[0..8), g^ir); no SK_a;
  // SK_e = 32-byte key || 4-byte salt (RFC 5282 7).
  IkeTransforms t{find_keyword("aes256gcm16"), nullptr, find_keyword("prfaescmac")};
  auto k = derive_ike_keys(t, kNi, kNr, kGir, kSpiI, kSpiR);
  REQUIRE(k);
  CHECK(secret_hex(k->skeyseed) == "4ea14ae6724697e2c04379f3f47016ec");
  const std::string stream =
      "7e2f50a289197dbf7b83a63e25977473e2b431d4ca29ef6239360ba0958c6f49323756c7c9eba020c51060b6"
      "e5cb48cb5fdd8e5026237cc4fe0920f714fb91969430ea83242702997350e17c1170698e321fd32cdf200dab"
      "699e4562108772f5fa6e8ea8a6d115753aafa924de7a5368ba40bf121e3542a3";
  CHECK(secret_hex(k->sk_d) == stream.substr(0, 32));
  CHECK(k->sk_ai.empty());
  CHECK(k->sk_ar.empty());
  CHECK(secret_hex(k->sk_ei) == stream.substr(32, 72));
  CHECK(secret_hex(k->sk_er) == stream.substr(104, 72));
  CHECK(secret_hex(k->sk_pi) == stream.substr(176, 32));
  CHECK(secret_hex(k->sk_pr) == stream.substr(208, 32));
}

TEST_CASE("keymat: Child SA KEYMAT with and without PFS (RFC 7296 2.17)", "[ike][keymat]") {
  const auto& prf = *find_keyword("prfsha256");
  SecretBytes sk_d(hexb("355ba55641de51911bca30eeede052383b93fb01e58d0e2e3fd6da145ab8fc86"));

  // No PFS, AEAD: KEYMAT = prf+(SK_d, Ni | Nr); encr_i = key || salt, then encr_r.
  auto c = derive_child_keys(prf, sk_d, {find_keyword("aes256gcm16"), nullptr}, {}, kNi, kNr);
  REQUIRE(c);
  CHECK(secret_hex(c->encr_i) ==
        "48daf0d6c949ec327501e326dfc58505d1f49b73e109673771216fdb513151e426c00152");
  CHECK(secret_hex(c->encr_r) ==
        "1232c338865788e69ab32533f204e29e6beb08e0b05a5ae8a5025edcfc1120fe8f4c38a4");
  CHECK(c->integ_i.empty());
  CHECK(c->integ_r.empty());

  // PFS: KEYMAT = prf+(SK_d, g^ir (new) | Ni | Nr); order encr_i, integ_i, encr_r, integ_r.
  Bytes g2(32, 0x55);
  auto p =
      derive_child_keys(prf, sk_d, {find_keyword("aes128"), find_keyword("sha1")}, g2, kNi, kNr);
  REQUIRE(p);
  CHECK(secret_hex(p->encr_i) == "9921c31653c152dc638134def1e84060");
  CHECK(secret_hex(p->integ_i) == "9e9efe29a7880be8b4d6c3220c8bc07055281d8a");
  CHECK(secret_hex(p->encr_r) == "fc09180dc9790576e61f8a97c41e38b5");
  CHECK(secret_hex(p->integ_r) == "d65424af4316f258a8af3bc66823e3a50b4cdcae");
}

TEST_CASE("keymat: rekeyed IKE SA uses the old prf and SK_d (RFC 7296 2.18)", "[ike][keymat]") {
  SecretBytes old_sk_d(hexb("355ba55641de51911bca30eeede052383b93fb01e58d0e2e3fd6da145ab8fc86"));
  IkeTransforms t{find_keyword("aes256gcm16"), nullptr, find_keyword("prfaescmac")};
  Bytes g2(32, 0x55);
  auto k =
      derive_rekeyed_ike_keys(*find_keyword("prfsha256"), old_sk_d, t, g2, kNi, kNr, kSpiI, kSpiR);
  REQUIRE(k);
  CHECK(secret_hex(k->skeyseed) ==
        "1291f8eff78d6819111726318a8eb2df991274b25059d4a3f03a72dd8f0ee177");
  const std::string stream =
      "047326cf5e0fe2c837fc69c39f62f239a6856e5a7bd46891a9391d7561fa73ba2eb188b9ef020d43d13bf2a3"
      "70b4da820c46b4e7bda417e5c0ec2ab1ffee0bb68578744408e7f07af506f058c4c83386f98b7e17e6a34099"
      "d6a9c24cf87f8cfa006e163d1fb8260ea2ee81eb1602445ef9f1650ebc7f78a9";
  CHECK(secret_hex(k->sk_d) == stream.substr(0, 32));
  CHECK(secret_hex(k->sk_ei) == stream.substr(32, 72));
  CHECK(secret_hex(k->sk_er) == stream.substr(104, 72));
  CHECK(secret_hex(k->sk_pr) == stream.substr(208, 32));
}

TEST_CASE("keymat: transform combinations are checked", "[ike][keymat]") {
  IkeTransforms no_integ{find_keyword("aes128"), nullptr, find_keyword("prfsha256")};
  CHECK(derive_ike_keys(no_integ, kNi, kNr, kGir, 1, 2).error().field == "transforms.integ");
  IkeTransforms aead_integ{find_keyword("aes128gcm16"), find_keyword("sha256"),
                           find_keyword("prfsha256")};
  CHECK(derive_ike_keys(aead_integ, kNi, kNr, kGir, 1, 2).error().field == "transforms.integ");
  IkeTransforms no_prf{find_keyword("aes128gcm16"), nullptr, nullptr};
  CHECK(derive_ike_keys(no_prf, kNi, kNr, kGir, 1, 2).error().field == "transforms.prf");
}

TEST_CASE("RFC 7296 2.10: nonces of at least 128 bits and half the PRF key", "[ike][keymat]") {
  auto prf = [](const char* k) { return *find_keyword(crypto::TransformKind::prf, k); };
  CHECK(min_nonce_size(prf("prfsha1")) == 16);
  CHECK(min_nonce_size(prf("prfsha256")) == 16);
  CHECK(min_nonce_size(prf("prfsha384")) == 24);
  CHECK(min_nonce_size(prf("prfsha512")) == 32);
  CHECK(min_nonce_size(prf("prfaesxcbc")) == 16);
  Bytes n24(24);
  CHECK_FALSE(nonce_too_short(n24, prf("prfsha384")));
  CHECK(*nonce_too_short(n24, prf("prfsha512")) ==
        "nonce of 24 bytes; RFC 7296 2.10 needs at least 32 with prfsha512");
}
