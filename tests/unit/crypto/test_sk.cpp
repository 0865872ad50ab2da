// SK / SKF payload protection (RFC 7296 3.14, RFC 5282, RFC 7634, RFC 5930, RFC 7383 2.5):
// seal -> open round trips for every ENCR x INTEG pair in the table, and tampering.
#include "crypto/sk.hpp"
#include "test_helpers.hpp"

#include <catch2/catch.hpp>
#include <string>

using namespace ikekit;
using namespace ikekit::crypto;
using ikekit::test::seq;

namespace {

struct Sealed {
  Bytes message;
  size_t sk_offset;
  size_t sk_len;
};

Sealed seal_one(SkCrypter& c, const Bytes& plain, bool fragment, Rng& rng) {
  const size_t sk_offset = 28 + 8; // IKE header + one 8-byte payload before SK (e.g. a VID)
  Bytes m(sk_offset + c.sealed_size(plain.size(), fragment) + 5, 0xee); // room to spare
  for (size_t i = 0; i < sk_offset; ++i)
    m[i] = uint8_t(i);
  m[sk_offset] = 35; // Next Payload (IDi)
  m[sk_offset + 1] = 0;
  if (fragment) {
    store_be16(m.data() + sk_offset + 4, 1);
    store_be16(m.data() + sk_offset + 6, 2);
  }
  std::copy(plain.begin(), plain.end(), m.begin() + long(sk_offset + c.plaintext_offset(fragment)));
  auto len = c.seal(m, sk_offset, plain.size(), fragment, rng);
  REQUIRE(len);
  REQUIRE(*len == sk_offset + c.sealed_size(plain.size(), fragment));
  CHECK(load_be32(m.data() + 24) == *len);
  CHECK(load_be16(m.data() + sk_offset + 2) == c.sealed_size(plain.size(), fragment));
  m.resize(*len);
  return {m, sk_offset, *len - sk_offset};
}

// Every SK suite: each AEAD alone (integrity nullptr), each other cipher with each
// integrity transform.
std::vector<std::pair<const TransformInfo*, const TransformInfo*>> sk_suites() {
  std::vector<std::pair<const TransformInfo*, const TransformInfo*>> suites;
  for (const auto& encr : all_transforms()) {
    if (encr.kind != TransformKind::encr) continue;
    if (encr.aead)
      suites.emplace_back(&encr, nullptr);
    else
      for (const auto& t : all_transforms())
        if (t.kind == TransformKind::integ) suites.emplace_back(&encr, &t);
  }
  return suites;
}

} // namespace

TEST_CASE("SK seal -> open for every ENCR x INTEG pair, SK and SKF", "[crypto][sk]") {
  SeededRng rng(1);
  int pairs = 0;
  for (const auto& suite : sk_suites()) {
    const TransformInfo& encr = *suite.first;
    const TransformInfo* integ = suite.second;
    for (bool fragment : {false, true}) {
      for (size_t n : {size_t(0), size_t(1), size_t(15), size_t(16), size_t(37)}) {
        INFO(std::string(encr.keyword) + "-" + (integ ? std::string(integ->keyword) : "") +
             (fragment ? " SKF" : " SK") + " plaintext " + std::to_string(n));
        Bytes sk_e = seq(size_t(encr.key_len) + encr.salt_len, 0x10);
        Bytes sk_a = integ ? seq(integ->key_len, 0x70) : Bytes{};
        // One direction each, as an IKE SA keys them (one cipher context each).
        auto tx = SkCrypter::create(encr, sk_e, integ, sk_a, CipherUse::encrypt);
        auto rx = SkCrypter::create(encr, sk_e, integ, sk_a, CipherUse::decrypt);
        REQUIRE(tx);
        REQUIRE(rx);
        Bytes plain = seq(n, 0xa0);
        auto s = seal_one(*tx, plain, fragment, rng);
        if (encr.block_size > 1) {
          size_t enc = s.sk_len - rx->plaintext_offset(fragment) - rx->icv_len();
          CHECK(enc % encr.block_size == 0);
        }
        // The plaintext is not visible in the sealed message.
        if (n >= 15)
          CHECK_FALSE(std::search(s.message.begin(), s.message.end(), plain.begin(), plain.end()) !=
                      s.message.end());
        Bytes copy = s.message;
        auto inner = rx->open(copy, s.sk_offset, s.sk_len, fragment);
        REQUIRE(inner);
        CHECK(Bytes(inner->begin(), inner->end()) == plain);
        Bytes again = s.message;
        auto wrong_way = tx->open(again, s.sk_offset, s.sk_len, fragment);
        REQUIRE_FALSE(wrong_way); // keyed for sealing only
        CHECK(wrong_way.error().code == Errc::unsupported);

        // Any flipped bit -- in the IKE header, the SK header, IV, ciphertext or ICV --
        // fails the integrity check.
        for (size_t at :
             {size_t(3), s.sk_offset + 2, s.sk_offset + rx->plaintext_offset(fragment) - 1,
              s.message.size() - rx->icv_len() - 1, s.message.size() - 1}) {
          Bytes bad = s.message;
          bad[at] ^= 0x01;
          auto r = rx->open(bad, s.sk_offset, s.sk_len, fragment);
          REQUIRE_FALSE(r);
          CHECK(r.error().code == Errc::integrity);
          CHECK(r.error().field == "sk.icv");
        }
      }
    }
    ++pairs;
  }
  // 3DES and AES-CBC/CTR x 6 integ, plus 9 GCM, 9 CCM and ChaCha20-Poly1305
  CHECK(pairs == 7 * 6 + 19);
}

// Keying::per_call (an IKE SA's crypters): the keys are set into this thread's shared
// contexts at each call. Crypters of two SAs (two keys) of every AEAD and of every
// CBC/CTR cipher with every integrity transform, interleaved on one thread, must each
// open what the other kind (own contexts) sealed with the same keys, and never what the
// other SA sealed: a context left keyed by the last caller would.
TEST_CASE("SK per-call keying: SAs interleaved on shared contexts", "[crypto][sk]") {
  SeededRng rng(2);
  int suites = 0;
  for (const auto& suite : sk_suites()) {
    const TransformInfo& encr = *suite.first;
    const TransformInfo* integ = suite.second;
    INFO(std::string(encr.keyword) + "-" + (integ ? std::string(integ->keyword) : ""));
    Bytes e_a = seq(size_t(encr.key_len) + encr.salt_len, 0x10);
    Bytes e_b = seq(size_t(encr.key_len) + encr.salt_len, 0x40);
    Bytes a_a = integ ? seq(integ->key_len, 0x70) : Bytes();
    Bytes a_b = integ ? seq(integ->key_len, 0x90) : Bytes();
    auto per_call = [&](const Bytes& e, const Bytes& a, CipherUse use) {
      auto c = SkCrypter::create(encr, e, integ, a, use, Keying::per_call);
      REQUIRE(c);
      return std::move(*c);
    };
    SkCrypter tx_a = per_call(e_a, a_a, CipherUse::encrypt),
              rx_a = per_call(e_a, a_a, CipherUse::decrypt);
    SkCrypter tx_b = per_call(e_b, a_b, CipherUse::encrypt),
              rx_b = per_call(e_b, a_b, CipherUse::decrypt);
    auto own_rx_a = SkCrypter::create(encr, e_a, integ, a_a, CipherUse::decrypt);
    auto own_tx_b = SkCrypter::create(encr, e_b, integ, a_b, CipherUse::encrypt);
    REQUIRE(own_rx_a);
    REQUIRE(own_tx_b);
    Bytes plain = seq(37, 0xa0);
    for (int round = 0; round < 3; ++round) {
      auto sa = seal_one(tx_a, plain, false, rng);
      auto sb = seal_one(*own_tx_b, plain, false, rng);
      auto sb2 = seal_one(tx_b, plain, round == 1, rng);
      Bytes m = sa.message;
      auto in = rx_a.open(m, sa.sk_offset, sa.sk_len, false);
      REQUIRE(in);
      CHECK(Bytes(in->begin(), in->end()) == plain);
      m = sa.message;
      REQUIRE(own_rx_a->open(m, sa.sk_offset, sa.sk_len, false));
      m = sb.message;
      REQUIRE(rx_b.open(m, sb.sk_offset, sb.sk_len, false));
      m = sb2.message;
      REQUIRE(rx_b.open(m, sb2.sk_offset, sb2.sk_len, round == 1));
      m = sb.message;
      auto wrong = rx_a.open(m, sb.sk_offset, sb.sk_len, false); // SA b's message
      REQUIRE_FALSE(wrong);
      CHECK(wrong.error().code == Errc::integrity);
      CHECK(wrong.error().field == "sk.icv");
    }
    // One direction each: a sealing crypter does not open, nor the reverse.
    Bytes m = seal_one(tx_a, plain, false, rng).message;
    CHECK_FALSE(tx_a.open(m, 36, m.size() - 36, false));
    ++suites;
  }
  CHECK(suites == 7 * 6 + 19);
  // A wrong key length is refused at creation, as with own contexts.
  const TransformInfo& cbc = *find_keyword("aes128");
  CHECK_FALSE(SkCrypter::create(cbc, Bytes(15, 1), find_keyword("sha256"), Bytes(32, 2),
                                CipherUse::both, Keying::per_call));
}

TEST_CASE("SK open reports size problems by field", "[crypto][sk]") {
  const TransformInfo& cbc = *find_keyword("aes128");
  const TransformInfo& sha = *find_keyword("sha256");
  auto c = SkCrypter::create(cbc, Bytes(16, 1), &sha, Bytes(32, 2));
  REQUIRE(c);
  Bytes m(28 + 4 + 16 + 32 + 16, 0);
  CHECK(c->open(m, 28, 4 + 10, false).error().field == "sk.iv");
  CHECK(c->open(m, 28, 4 + 16 + 8, false).error().field == "sk.icv");
  CHECK(c->open(m, 28, 4 + 16 + 16, false).error().field == "sk.pad_length");
  CHECK(c->open(m, 28, 4 + 16 + 17 + 16, false).error().field == "sk.encrypted");
  CHECK(c->open(m, 28, 200, false).error().code == Errc::truncated);

  // A valid ICV over a Pad Length that claims more than was decrypted.
  SeededRng rng(3);
  Bytes plain(15, 0x41);
  Bytes msg(28 + c->sealed_size(plain.size(), false), 0);
  auto len = c->seal(msg, 28, plain.size(), false, rng);
  REQUIRE(len);
  Bytes copy = msg;
  REQUIRE(c->open(copy, 28, *len - 28, false));
  CHECK(copy[28 + 4 + 16 + 15] == 0); // plaintext 15 + pad 0 + pad length 1 = one block

  // Wrong combinations at creation.
  CHECK_FALSE(SkCrypter::create(cbc, Bytes(16, 1), nullptr, {}));
  CHECK_FALSE(SkCrypter::create(*find_keyword("aes128gcm16"), Bytes(20, 1), &sha, Bytes(32, 2)));
  // Seal refuses a buffer without room.
  Bytes small(40, 0);
  CHECK(c->seal(small, 28, 1, false, rng).error().code == Errc::bad_length);
}
