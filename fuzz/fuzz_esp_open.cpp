// Fuzzes inbound ESP processing (RFC 4303 3.4): a fixed-key inbound SA opens
// arbitrary bytes in place. Must never crash, read out of bounds, or deliver a
// packet twice.
//
// Input: byte 0 selects the SA (bit 0: AES-128-CBC + HMAC-SHA-256-128 instead of
// AES-128-GCM-16; bit 1: ESN), the rest is the ESP packet (SPI .. ICV). The keys
// below are duplicated in tests/unit/esp/test_fuzz_seeds.cpp, which writes and
// checks the seed corpus in fuzz/corpus/fuzz_esp_open/.
// A fresh SA per input keeps runs deterministic (no window state across inputs).
#include "crypto/suite.hpp"
#include "esp/outer_ip.hpp"
#include "esp/sa.hpp"

#include <cstdint>
#include <cstdlib>
#include <vector>

using namespace ikekit;
using namespace ikekit::esp;

namespace {
constexpr uint32_t kSpi = 0x0f0e0d0c;

std::vector<uint8_t> seq_bytes(size_t n, uint8_t first) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i)
    v[i] = uint8_t(first + i);
  return v;
}

SaParams sa_params(uint8_t selector) {
  static const std::vector<uint8_t> gcm_key = seq_bytes(20, 0x10); // key || salt
  static const std::vector<uint8_t> cbc_key = seq_bytes(16, 0x30);
  static const std::vector<uint8_t> hmac_key = seq_bytes(32, 0x50);
  SaParams p;
  p.spi = kSpi;
  p.esn = selector & 2;
  p.replay_window = 64;
  if (selector & 1) {
    p.encr = crypto::find_keyword(crypto::TransformKind::encr, "aes128");
    p.encr_key = cbc_key;
    p.integ = crypto::find_keyword(crypto::TransformKind::integ, "sha256");
    p.integ_key = hmac_key;
  } else {
    p.encr = crypto::find_keyword(crypto::TransformKind::encr, "aes128gcm16");
    p.encr_key = gcm_key;
  }
  return p;
}
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ByteView all(data, size);
  (void)parse_ip_header(all);
  (void)tunnel_next_header(all);
  if (size < 1) return 0;

  auto sa = EspSaIn::create(sa_params(data[0]));
  if (!sa) std::abort();
  std::vector<uint8_t> packet(data + 1, data + size);
  auto first = sa->open_in_place(packet);
  if (first) {
    // The payload is a view inside the packet, before the trailer and ICV.
    const uint8_t* lo = packet.data();
    const uint8_t* hi = packet.data() + packet.size();
    if (first.payload.data() < lo || first.payload.data() + first.payload.size() > hi) std::abort();
    if (first.payload.size() + sa->overhead().header + kEspTrailerLen > packet.size()) std::abort();
    // RFC 4303 3.4.3: the same packet again is a replay, never a second delivery.
    std::vector<uint8_t> again(data + 1, data + size);
    if (sa->open_in_place(again).status != OpenStatus::replay) std::abort();
  }
  const auto& st = sa->stats();
  uint64_t counted = st.packets + st.malformed + st.unknown_spi + st.replay + st.too_old +
                     st.bad_icv + st.bad_padding + st.dummy + st.crypto_error;
  if (counted != (first ? 2u : 1u)) std::abort(); // every packet counted exactly once
  return 0;
}
