// Key exchange known answers:
//   RFC 5903 8.1-8.3 (ECP-256/384/521: i, g^i, r, g^r, g^ir x coordinate),
//   RFC 7748 6.1/6.2 (X25519, X448),
//   MODP-1024/2048: no published IKE vector, so the expected values were computed with
//   Python's pow() over primes rebuilt from the RFC 2409 6.2 / RFC 3526 formula
//   p = 2^n - 2^(n-64) - 1 + 2^64 * (floor(2^(n-130) * pi) + k) with mpmath's pi
//   (independent of OpenSSL's BN_get_rfc*_prime tables). x = 01..20, y = 40..5f.
#include "crypto/kex.hpp"
#include "test_helpers.hpp"

#include <catch2/catch.hpp>
#include <thread>
#include <vector>

using namespace ikekit;
using namespace ikekit::crypto;
using ikekit::test::hex;
using ikekit::test::seq;

namespace {

[[maybe_unused]] const char* k1024A =
    "457120764f3a1e6fd58103e41a4093a6c8bc1d97cb8759de41c21afdd2d3048a5ef3d88ce24aa6ba4fe30bcfb0b0f7"
    "5a"
    "bf1a8aeaff3723f1bf53740c902005e1199fabad7c538e94a7034fd585339a02f3634893f748929d2a7257643e3981"
    "30"
    "541ae64124c17d4507a97f1cbebeb7b933642b8df479eb59e36cfeffbf1671dd";
[[maybe_unused]] const char* k1024B =
    "a5a28c20c27ed26c4b0244f4f8fcd2a1ce89bfec768fcdb4e404cc7040f1d86644af268e691ad7d583cecddf2f860e"
    "19"
    "0ef201f960532e0b50607e8bb98499af0077d7232178519aba72053921c51b7f69e25f81231c1e73e9622343d3c7b6"
    "7b"
    "aeeb7365c26bc24bf3a27532420280549774581cace753d89c4ad597fa8445ed";
[[maybe_unused]] const char* k1024S =
    "1a5825e8861fc383cd0aac32a435ab070d0c031836d7ac801c495958d0dd88da294ca9a34d2aa22e1bb89eaf4832a6"
    "ce"
    "ec18e918fa2f58cd9237d91a0e5871cee2bb1cc88e9e43cdc5a3428750301fefa9dc57f34d57f155062a2efe5fbeab"
    "77"
    "008c023592faa988e52b1a1e2919821bc07ab071f64a40a9edaab24b2a2e6d30";
[[maybe_unused]] const char* k1024Pm1 =
    "ffffffffffffffffc90fdaa22168c234c4c6628b80dc1cd129024e088a67cc74020bbea63b139b22514a08798e3404"
    "dd"
    "ef9519b3cd3a431b302b0a6df25f14374fe1356d6d51c245e485b576625e7ec6f44c42e9a637ed6b0bff5cb6f406b7"
    "ed"
    "ee386bfb5a899fa5ae9f24117c4b1fe649286651ece65381fffffffffffffffe";
[[maybe_unused]] const char* k2048A = "ce8736a3ad7c8260e0c5e5a457931ad19966d693e5c32414496b73d7f4e8"
                                      "bdaf51763d49d07a56b0a188048d61d52bd2"
                                      "a06e706a7a46664113e794057474d04c96b5bb151a50b27818a513cd8d6e"
                                      "cf037fc638b3b2f1084c58d4419735ba12c9"
                                      "a4391e2b3133bd660785e468569be85c7ad4f904d98a13f5e8695ff8cc5e"
                                      "22834228a8ea2c082ff49a07607e8e5c1278"
                                      "ce8091725678fde112491091bf4cf3b1759ccb32c1de0b90a074b1e3ffe1"
                                      "79d71a292ff29ce9580c3a978793598c0e00"
                                      "8289e7ab7783b2b75caf9152267e8c981dbb28fde07f2e11ffe1e3984097"
                                      "d1602c61ffd0714d9523455377c177df3be6"
                                      "b3c81e69f762c04be910a225f323882d";
[[maybe_unused]] const char* k2048B = "eca848fde1b7e1fc889d39e931606c8d36ddbfaa2066246d871b9af0021c"
                                      "55afe7f0c3e33d6797e05f3525f18a0e94e4"
                                      "03cb9e99bf6717741f10d56fbc1909ab35980e912cf5301a233f6d964da2"
                                      "4c4b13a1975401bcc721582950fb9716174e"
                                      "829e9e1c3fcf8d9a1b9c6de701e0c2aaea482c0cca06e012799cb7b4b320"
                                      "5e5c578b4b86acc144f0a0fce9e1e5337b1a"
                                      "c0b5354ee997d8a193b2a7b2fe147d7ff1bba5d5eec2e10f0364793fccd6"
                                      "d621f10cfbb6e5b5f08ad6bc369efb074960"
                                      "c7659882abe10ab3c97363a966af697366fcb2e6acb432aa9be97c5efee2"
                                      "d7984bbab535116ed0576e8413cb3534b01e"
                                      "68b7a9b8e7b61c0ffcc67cb9fbffaf7f";
[[maybe_unused]] const char* k2048S = "eadf639f0ef94f4c2738bf8d7e0abca2a56a9bfd44c686aa978fa1b44820"
                                      "8ab756c90171dd139e2c7f85daae953c3d6d"
                                      "ef60211b7edf9e6cd7e11d35b3725f95bf5bfed1f4d4de09f47249b43bad"
                                      "7e8cbecac20ffd5c1b966668b51bc20b8162"
                                      "4f9caf02e998c0263f39565297f08c7d761cdd9c5a8b087a60cd2846586d"
                                      "8ddae1327002b331fad690180ed6541620b3"
                                      "15bfb2e32686db555cfdd23e4e75246296ee3914d06f211bf64f82af0267"
                                      "2fd4b4cb0ad3dd8dbb39047b499c1a2332b3"
                                      "96354a0c4d129e21cf64e22ea15afa566dc7958d16932d49ec846e8a9fea"
                                      "5419490e1f2445ca9725cdd9b25ba7af3874"
                                      "aa9bd90b3f48bdfcce9fec6cc254ceaa";
[[maybe_unused]] const char* k2048Pm1 = "ffffffffffffffffc90fdaa22168c234c4c6628b80dc1cd129024e088a"
                                        "67cc74020bbea63b139b22514a08798e3404dd"
                                        "ef9519b3cd3a431b302b0a6df25f14374fe1356d6d51c245e485b57662"
                                        "5e7ec6f44c42e9a637ed6b0bff5cb6f406b7ed"
                                        "ee386bfb5a899fa5ae9f24117c4b1fe649286651ece45b3dc2007cb8a1"
                                        "63bf0598da48361c55d39a69163fa8fd24cf5f"
                                        "83655d23dca3ad961c62f356208552bb9ed529077096966d670c354e4a"
                                        "bc9804f1746c08ca18217c32905e462e36ce3b"
                                        "e39e772c180e86039b2783a2ec07a28fb5c55df06f4c52c9de2bcbf695"
                                        "5817183995497cea956ae515d2261898fa0510"
                                        "15728e5a8aacaa68fffffffffffffffe";

const TransformInfo& ke(std::string_view k) {
  const TransformInfo* t = find_keyword(TransformKind::ke, k);
  REQUIRE(t != nullptr);
  return *t;
}
Bytes secret(const Result<SecretBytes>& s) {
  REQUIRE(s);
  return Bytes(s->reveal().begin(), s->reveal().end());
}
Bytes pub(const KeyExchange& k) { return Bytes(k.public_value().begin(), k.public_value().end()); }

void check_pair(std::string_view keyword, const char* i, const char* gi, const char* r,
                const char* gr, const char* gir) {
  INFO(keyword);
  auto a = KeyExchange::from_private(ke(keyword), hex(i));
  auto b = KeyExchange::from_private(ke(keyword), hex(r));
  REQUIRE(a);
  REQUIRE(b);
  CHECK(pub(*a) == hex(gi));
  CHECK(pub(*b) == hex(gr));
  CHECK(a->public_value().size() == ke(keyword).out_len);
  CHECK(secret(a->shared_secret(hex(gr))) == hex(gir));
  CHECK(secret(b->shared_secret(hex(gi))) == hex(gir));
}

} // namespace

TEST_CASE("ECP-256, RFC 5903 8.1", "[crypto][kex]") {
  check_pair("ecp256", "c88f01f510d9ac3f70a292daa2316de544e9aab8afe84049c62a9c57862d1433",
             "dad0b65394221cf9b051e1feca5787d098dfe637fc90b9ef945d0c3772581180"
             "5271a0461cdb8252d61f1c456fa3e59ab1f45b33accf5f58389e0577b8990bb3",
             "c6ef9c5d78ae012a011164acb397ce2088685d8f06bf9be0b283ab46476bee53",
             "d12dfb5289c8d4f81208b70270398c342296970a0bccb74c736fc7554494bf63"
             "56fbf3ca366cc23e8157854c13c58d6aac23f046ada30f8353e74f33039872ab",
             "d6840f6b42f6edafd13116e0e12565202fef8e9ece7dce03812464d04b9442de");
}

TEST_CASE("ECP-384, RFC 5903 8.2", "[crypto][kex]") {
  check_pair("ecp384",
             "099f3c7034d4a2c699884d73a375a67f7624ef7c6b3c0f160647b67414dce655e35b538041e649ee3faef"
             "896783ab194",
             "667842d7d180ac2cde6f74f37551f55755c7645c20ef73e31634fe72b4c55ee6de3ac808acb4bdb4c8873"
             "2aee95f41aa"
             "9482ed1fc0eeb9cafc4984625ccfc23f65032149e0e144ada024181535a0f38eeb9fcff3c2c947dae69b4"
             "c634573a81c",
             "41cb0779b4bdb85d47846725fbec3c9430fab46cc8dc5060855cc9bda0aa2942e0308312916b8ed2960e4"
             "bd55a7448fc",
             "e558dbef53eecde3d3fccfc1aea08a89a987475d12fd950d83cfa41732bc509d0d1ac43a0336def96fda4"
             "1d0774a3571"
             "dcfbec7aacf3196472169e838430367f66eebe3c6e70c416dd5f0c68759dd1fff83fa40142209dff5eaad"
             "96db9e6386c",
             "11187331c279962d93d604243fd592cb9d0a926f422e47187521287e7156c5c4d603135569b9e9d09cf5d"
             "4a270f59746");
}

TEST_CASE("ECP-521, RFC 5903 8.3", "[crypto][kex]") {
  check_pair("ecp521",
             "0037ade9319a89f4dabdb3ef411aaccca5123c61acab57b5393dce47608172a095aa85a30fe1c2952c67"
             "71d937ba9777f5957b2639bab072462f68c27a57382d4a52",
             "0015417e84dbf28c0ad3c278713349dc7df153c897a1891bd98bab4357c9ecbee1e3bf42e00b8e380aea"
             "e57c2d107564941885942af5a7f4601723c4195d176ced3e"
             "017cae20b6641d2eeb695786d8c946146239d099e18e1d5a514c739d7cb4a10ad8a788015ac405d7799d"
             "c75e7b7d5b6cf2261a6a7f1507438bf01beb6ca3926f9582",
             "0145ba99a847af43793fdd0e872e7cdfa16be30fdc780f97bccc3f078380201e9c677d600b343757a3bd"
             "bf2a3163e4c2f869cca7458aa4a4effc311f5cb151685eb9",
             "00d0b3975ac4b799f5bea16d5e13e9af971d5e9b984c9f39728b5e5739735a219b97c356436adc6e95bb"
             "0352f6be64a6c2912d4ef2d0433ced2b6171640012d9460f"
             "015c68226383956e3bd066e797b623c27ce0eac2f551a10c2c724d9852077b87220b6536c5c408a1d2ae"
             "bb8e86d678ae49cb57091f4732296579ab44fcd17f0fc56a",
             "01144c7d79ae6956bc8edb8e7c787c4521cb086fa64407f97894e5e6b2d79b04d1427e73ca4baa240a34"
             "786859810c06b3c715a3a8cc3151f2bee417996d19f3ddea");
}

TEST_CASE("X25519, RFC 7748 6.1", "[crypto][kex]") {
  check_pair("x25519", "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a",
             "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a",
             "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb",
             "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f",
             "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
}

TEST_CASE("X448, RFC 7748 6.2", "[crypto][kex]") {
  check_pair("x448",
             "9a8f4925d1519f5775cf46b04b5800d4ee9ee8bae8bc5565d498c28dd9c9baf574a941974489739100638"
             "2a6f127ab1d9ac2d8c0a598726b",
             "9b08f7cc31b7e3e67d22d5aea121074a273bd2b83de09c63faa73d2c22c5d9bbc836647241d953d40c5b1"
             "2da88120d53177f80e532c41fa0",
             "1c306a7ac2a0e2e0990b294470cba339e6453772b075811d8fad0d1d6927c120bb5ee8972b0d3e21374c9"
             "c921b09d1b0366f10b65173992d",
             "3eb7a829b0cd20f5bcfc0b599b6feccf6da4627107bdb0d4f345b43027d8b972fc3e34fb4232a13ca706d"
             "cb57aec3dae07bdc1c67bf33609",
             "07fff4181ac6cc95ec1c16a94a0f74d12da232ce40a77552281d282bb60c0b56fd2464c335543936521c2"
             "4403085d59a449a5037514a879d");
}

TEST_CASE("MODP-1024 (RFC 2409 6.2) and MODP-2048 (RFC 3526 3)", "[crypto][kex]") {
  const Bytes x = seq(32, 0x01), y = seq(32, 0x40);
  for (auto [kw, a_pub, b_pub, s] : {std::tuple{"modp1024", k1024A, k1024B, k1024S},
                                     std::tuple{"modp2048", k2048A, k2048B, k2048S}}) {
    INFO(kw);
    auto a = KeyExchange::from_private(ke(kw), x);
    auto b = KeyExchange::from_private(ke(kw), y);
    REQUIRE(a);
    REQUIRE(b);
    CHECK(pub(*a) == hex(a_pub));
    CHECK(pub(*b) == hex(b_pub));
    CHECK(secret(a->shared_secret(hex(b_pub))) == hex(s));
  }
}

TEST_CASE("KE peer values are validated", "[crypto][kex]") {
  SeededRng rng(7);
  // MODP: 1 < y < p-1.
  auto m = KeyExchange::generate(ke("modp2048"), rng);
  REQUIRE(m);
  Bytes one(256, 0);
  one.back() = 1;
  CHECK(m->shared_secret(one).error().code == Errc::bad_value);
  CHECK(m->shared_secret(hex(k2048Pm1)).error().code == Errc::bad_value);
  CHECK(m->shared_secret(Bytes(255, 7)).error().code == Errc::bad_length);
  CHECK(m->shared_secret(Bytes(255, 7)).error().field == "ke.data");

  // ECP: a point not on the curve, and a coordinate >= p.
  auto e = KeyExchange::generate(ke("ecp256"), rng);
  REQUIRE(e);
  Bytes bad = pub(*e);
  bad[63] ^= 1;
  CHECK(e->shared_secret(bad).error().code == Errc::bad_value);
  CHECK(e->shared_secret(Bytes(64, 0xff)).error().code == Errc::bad_value);
  CHECK(e->shared_secret(Bytes(65, 1)).error().code == Errc::bad_length);

  // X25519: the all-zero result from a low-order point (RFC 8031 2.3).
  auto x = KeyExchange::generate(ke("x25519"), rng);
  REQUIRE(x);
  CHECK(x->shared_secret(Bytes(32, 0)).error().code == Errc::bad_value);
}

TEST_CASE("KE generation is deterministic under a seeded Rng and agrees", "[crypto][kex]") {
  for (auto kw : {"modp2048", "modp3072", "modp4096", "modp6144", "modp8192", "ecp256", "ecp384",
                  "ecp521", "x25519", "x448"}) {
    INFO(kw);
    SeededRng r1(42), r2(42), r3(43);
    auto a = KeyExchange::generate(ke(kw), r1);
    auto a2 = KeyExchange::generate(ke(kw), r2);
    auto b = KeyExchange::generate(ke(kw), r3);
    REQUIRE(a);
    REQUIRE(a2);
    REQUIRE(b);
    CHECK(pub(*a) == pub(*a2));
    CHECK(pub(*a) != pub(*b));
    CHECK(secret(a->shared_secret(b->public_value())) ==
          secret(b->shared_secret(a->public_value())));
    // RFC 3526 / RFC 7296 3.4: a MODP public value is the group's size, zero-padded.
    if (std::string_view(kw).substr(0, 4) == "modp")
      CHECK(pub(*a).size() * 8 == std::stoul(std::string(kw).substr(4)));
  }
}

// The groups and the XDH FROMDATA contexts are made once and shared (per process, or per
// thread for XDH): a key must not carry anything over from the key made before it, a
// rejected key must leave the shared context usable, and threads must get the same answers.
TEST_CASE("KE through the shared groups and contexts: interleaved, after errors, on threads",
          "[crypto][kex]") {
  const std::vector<const char*> kws = {"modp2048", "ecp256", "ecp384", "x25519", "x448"};
  struct Expected {
    Bytes pub_a, pub_b, shared;
  };
  auto run = [&](const char* kw) {
    SeededRng ra(5), rb(6);
    auto a = KeyExchange::generate(ke(kw), ra);
    auto b = KeyExchange::generate(ke(kw), rb);
    if (!a || !b) return Expected{};
    return Expected{pub(*a), pub(*b), secret(a->shared_secret(b->public_value()))};
  };
  std::vector<Expected> want;
  for (auto kw : kws) {
    want.push_back(run(kw));
    REQUIRE(want.back().shared.size() > 0);
  }
  // A rejected private key and a rejected peer value, then the same keys again.
  CHECK(KeyExchange::from_private(ke("x25519"), Bytes(31, 1)).error().code == Errc::bad_length);
  SeededRng r(9);
  auto x = KeyExchange::generate(ke("x25519"), r);
  REQUIRE(x);
  CHECK(x->shared_secret(Bytes(32, 0)).error().code == Errc::bad_value);
  for (size_t i = 0; i < kws.size(); ++i) {
    INFO(kws[i]);
    auto again = run(kws[i]);
    CHECK(again.pub_a == want[i].pub_a);
    CHECK(again.shared == want[i].shared);
  }
  // Four threads, each through every group several times (each makes its own XDH contexts).
  std::vector<int> mismatches(4, 0);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < mismatches.size(); ++t)
    threads.emplace_back([&, t] {
      for (int round = 0; round < 5; ++round)
        for (size_t i = 0; i < kws.size(); ++i) {
          auto got = run(kws[i]);
          if (got.pub_a != want[i].pub_a || got.pub_b != want[i].pub_b ||
              got.shared != want[i].shared)
            ++mismatches[t];
        }
    });
  for (auto& th : threads)
    th.join();
  CHECK(mismatches == std::vector<int>(4, 0));
}
