// Shared helpers for the ESP unit tests: build SA pairs from strongSwan keywords
// with deterministic keys, and a packet buffer with head- and tailroom.
#pragma once

#include "base/hex.hpp"
#include "base/rng.hpp"
#include "crypto/suite.hpp"
#include "esp/sa.hpp"

#include <catch2/catch.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace esp_test {

using namespace ikekit;
using namespace ikekit::esp;

inline Bytes hex(std::string_view s) {
  auto b = from_hex(s, "test");
  REQUIRE(b);
  return *b;
}

// "aes256gcm16" or "aes128-sha256" (encr-integ).
struct Suite {
  const crypto::TransformInfo* encr = nullptr;
  const crypto::TransformInfo* integ = nullptr;
};
inline Suite suite(std::string_view proposal) {
  Suite s;
  auto dash = proposal.find('-');
  s.encr = crypto::find_keyword(crypto::TransformKind::encr, proposal.substr(0, dash));
  REQUIRE(s.encr);
  if (dash != std::string_view::npos) {
    s.integ = crypto::find_keyword(crypto::TransformKind::integ, proposal.substr(dash + 1));
    REQUIRE(s.integ);
  }
  return s;
}

inline Bytes pattern(size_t n, uint8_t seed) {
  Bytes b(n);
  for (size_t i = 0; i < n; ++i)
    b[i] = uint8_t(seed + i * 13);
  return b;
}

struct Keys {
  Bytes encr_key;
  Bytes integ_key;
};
inline Keys keys_for(const Suite& s, uint8_t seed = 1) {
  Keys k;
  k.encr_key = pattern(size_t(s.encr->key_len) + s.encr->salt_len, seed);
  if (s.integ) k.integ_key = pattern(s.integ->key_len, uint8_t(seed + 100));
  return k;
}

inline SaParams params(const Suite& s, const Keys& k, uint32_t spi, bool esn,
                       uint32_t window = 1024) {
  SaParams p;
  p.spi = spi;
  p.encr = s.encr;
  p.encr_key = k.encr_key;
  p.integ = s.integ;
  p.integ_key = k.integ_key;
  p.esn = esn;
  p.replay_window = window;
  return p;
}

inline EspSaOut make_out(const SaParams& p, Rng* rng) {
  auto r = EspSaOut::create(p, rng);
  if (!r) FAIL(r.error().field << ": " << r.error().message);
  return std::move(r).value();
}
inline EspSaIn make_in(const SaParams& p) {
  auto r = EspSaIn::create(p);
  if (!r) FAIL(r.error().field << ": " << r.error().message);
  return std::move(r).value();
}

// A payload placed at `headroom` inside a buffer with `tailroom` bytes after it.
struct Packet {
  Bytes buf;
  size_t offset = 0;
  size_t len = 0;
  Packet(ByteView payload, size_t headroom, size_t tailroom)
      : buf(headroom + payload.size() + tailroom, 0xee), offset(headroom), len(payload.size()) {
    std::copy(payload.begin(), payload.end(), buf.begin() + long(headroom));
  }
  MutBytes span() { return buf; }
};

inline Bytes to_bytes(ByteView v) { return Bytes(v.begin(), v.end()); }

} // namespace esp_test
