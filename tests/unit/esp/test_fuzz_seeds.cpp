// The seed corpus of fuzz/fuzz_esp_open.cpp: valid sealed packets for each of its
// inbound SAs. The hidden test "[.write-fuzz-seeds]" regenerates the files:
//   IKEKIT_FUZZ_SEED_DIR=fuzz/corpus/fuzz_esp_open unit_esp "[.write-fuzz-seeds]"
// The visible test checks that the committed seeds still open with those SAs.
// Keys and SPI duplicate those in fuzz/fuzz_esp_open.cpp.
#include "esp_test_util.hpp"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>

using namespace esp_test;

namespace {
constexpr uint32_t kSpi = 0x0f0e0d0c;

Bytes seq_bytes(size_t n, uint8_t first) {
  Bytes v(n);
  for (size_t i = 0; i < n; ++i)
    v[i] = uint8_t(first + i);
  return v;
}

struct FuzzKeys {
  Bytes gcm = seq_bytes(20, 0x10);
  Bytes cbc = seq_bytes(16, 0x30);
  Bytes hmac = seq_bytes(32, 0x50);
};

SaParams fuzz_params(const FuzzKeys& k, uint8_t selector) {
  SaParams p;
  p.spi = kSpi;
  p.esn = selector & 2;
  p.replay_window = 64;
  if (selector & 1) {
    p.encr = crypto::find_keyword(crypto::TransformKind::encr, "aes128");
    p.encr_key = k.cbc;
    p.integ = crypto::find_keyword(crypto::TransformKind::integ, "sha256");
    p.integ_key = k.hmac;
  } else {
    p.encr = crypto::find_keyword(crypto::TransformKind::encr, "aes128gcm16");
    p.encr_key = k.gcm;
  }
  return p;
}

struct Seed {
  const char* file;
  uint8_t selector;
  size_t payload_len;
  uint8_t next_header;
};
const Seed kSeeds[] = {
    {"gcm_ipv4", 0, 84, 4}, {"gcm_esn_ipv6", 2, 60, 41}, {"gcm_empty", 0, 0, 4},
    {"cbc_ipv4", 1, 84, 4}, {"cbc_esn_udp", 3, 33, 17},  {"cbc_large", 1, 300, 4},
};

// Selector byte followed by the sealed packet (sequence number 1), as the target reads it.
Bytes make_seed(const FuzzKeys& k, const Seed& s) {
  SeededRng rng(s.selector + 1);
  EspSaOut out = make_out(fuzz_params(k, s.selector), &rng);
  Bytes payload = pattern(s.payload_len, uint8_t(s.payload_len));
  if (s.next_header == 4 && !payload.empty()) payload[0] = 0x45;
  if (s.next_header == 41 && !payload.empty()) payload[0] = 0x60;
  Packet pkt(payload, out.overhead().header, out.overhead().max_trailer);
  auto r = out.seal_in_place(pkt.span(), pkt.offset, pkt.len, s.next_header);
  REQUIRE(r);
  Bytes seed(1 + r.packet.size());
  seed[0] = s.selector;
  std::copy(r.packet.begin(), r.packet.end(), seed.begin() + 1);
  return seed;
}
} // namespace

TEST_CASE("fuzz seeds for fuzz_esp_open", "[.write-fuzz-seeds]") {
  const char* dir = std::getenv("IKEKIT_FUZZ_SEED_DIR");
  REQUIRE(dir);
  FuzzKeys k;
  std::filesystem::create_directories(dir);
  for (const Seed& s : kSeeds) {
    Bytes seed = make_seed(k, s);
    std::ofstream f(std::filesystem::path(dir) / s.file, std::ios::binary);
    f.write(reinterpret_cast<const char*>(seed.data()), std::streamsize(seed.size()));
    REQUIRE(f.good());
  }
}

TEST_CASE("the committed fuzz_esp_open seeds are valid packets for the target's SAs") {
  const auto dir = std::filesystem::path(IKEKIT_TEST_DATA).parent_path().parent_path() / "fuzz" /
                   "corpus" / "fuzz_esp_open";
  FuzzKeys k;
  for (const Seed& s : kSeeds) {
    CAPTURE(s.file);
    std::ifstream f(dir / s.file, std::ios::binary);
    REQUIRE(f.good());
    Bytes seed((std::istreambuf_iterator<char>(f)), {});
    REQUIRE(seed.size() > 1);
    CHECK(seed == make_seed(k, s)); // deterministic: same keys, same Rng seed
    EspSaIn in = make_in(fuzz_params(k, seed[0]));
    Bytes packet(seed.begin() + 1, seed.end());
    auto r = in.open_in_place(packet);
    CHECK(r.status == OpenStatus::ok);
    CHECK(r.payload.size() == s.payload_len);
    CHECK(r.next_header == s.next_header);
  }
}
