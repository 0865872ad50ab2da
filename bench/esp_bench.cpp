#include "bench/esp_bench.hpp"

#include "base/rng.hpp"
#include "bench/stats.hpp"
#include "crypto/aead.hpp"
#include "crypto/cbc_hmac.hpp"
#include "crypto/proposal_string.hpp"
#include "esp/layout.hpp"
#include "esp/sa.hpp"

#include "json/payload_json.hpp"
#include <algorithm>
#include <chrono>
#include <cmath>

namespace ikekit::bench {

namespace {
using Clock = std::chrono::steady_clock;
constexpr uint32_t kSpi = 0x1ce0b001;
constexpr size_t kRingBytes = 128 * 1024;

// The packet slots of one case: slot i is [header | payload | tailroom], 64-byte aligned.
struct Ring {
  esp::Overhead o;
  size_t payload_len = 0;
  size_t stride = 0;
  size_t count = 0;
  Bytes storage;

  Ring(const esp::Overhead& overhead, size_t len) : o(overhead), payload_len(len) {
    stride = (o.header + len + o.max_trailer + 63) / 64 * 64;
    count = std::clamp<size_t>(kRingBytes / stride, 16, 256);
    storage.assign(stride * count + 64, 0xa5);
  }
  MutBytes slot(size_t i) {
    auto base = reinterpret_cast<uintptr_t>(storage.data());
    size_t skew = (64 - base % 64) % 64;
    return MutBytes(storage.data() + skew + i * stride, stride);
  }
  size_t text_len() const { return payload_len + o.padding(payload_len) + esp::kEspTrailerLen; }
  // ESP header .. ICV of a sealed slot.
  MutBytes packet(size_t i) { return slot(i).first(o.sealed_len(payload_len)); }
};

// The raw primitive on the same slots: AEAD, or cipher + integ.
struct Raw {
  std::optional<crypto::Aead> aead;
  std::optional<crypto::Cipher> cipher;
  std::optional<crypto::Integ> integ;
  uint8_t iv[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};

  bool seal(Ring& ring, size_t i) {
    MutBytes s = ring.slot(i);
    const size_t iv_len = ring.o.header - esp::kEspHeaderLen;
    const size_t text = ring.text_len();
    MutBytes inout = s.subspan(ring.o.header, text);
    MutBytes icv = s.subspan(ring.o.header + text, ring.o.icv);
    if (aead)
      return bool(aead->seal(ByteView(iv, iv_len), s.first(esp::kEspHeaderLen), inout, icv));
    if (!cipher->encrypt(ByteView(iv, iv_len), inout)) return false;
    return bool(integ->compute(s.first(ring.o.header + text), ByteView(), icv));
  }
  bool open(Ring& ring, size_t i) {
    MutBytes s = ring.slot(i);
    const size_t iv_len = ring.o.header - esp::kEspHeaderLen;
    const size_t text = ring.text_len();
    MutBytes inout = s.subspan(ring.o.header, text);
    ByteView icv = s.subspan(ring.o.header + text, ring.o.icv);
    if (aead)
      return bool(aead->open(ByteView(iv, iv_len), s.first(esp::kEspHeaderLen), inout, icv));
    if (!integ->verify(s.first(ring.o.header + text), ByteView(), icv)) return false;
    return bool(cipher->decrypt(ByteView(iv, iv_len), inout));
  }
};

// Everything one case needs, created once.
struct Case {
  EspSuite suite;
  Bytes encr_key, integ_key;
  SeededRng rng{0x5eed};
  std::optional<esp::EspSaOut> out;    // measured seal
  std::optional<esp::EspSaOut> feeder; // fills the ring for open, untimed
  std::optional<esp::EspSaIn> in;      // measured open
  Raw raw;
  std::optional<Ring> ring;
};

Result<void> setup(Case& c, size_t size) {
  const auto& e = *c.suite.encr;
  c.encr_key.resize(size_t(e.key_len) + e.salt_len);
  for (size_t i = 0; i < c.encr_key.size(); ++i)
    c.encr_key[i] = uint8_t(0x11 * (i + 1));
  if (c.suite.integ) {
    c.integ_key.resize(c.suite.integ->key_len);
    for (size_t i = 0; i < c.integ_key.size(); ++i)
      c.integ_key[i] = uint8_t(0x37 + i);
  }
  esp::SaParams p;
  p.spi = kSpi;
  p.encr = c.suite.encr;
  p.encr_key = c.encr_key;
  p.integ = c.suite.integ;
  p.integ_key = c.integ_key;
  p.replay_window = 4096;
  auto out = esp::EspSaOut::create(p, &c.rng);
  if (!out) return out.error();
  auto feeder = esp::EspSaOut::create(p, &c.rng);
  if (!feeder) return feeder.error();
  auto in = esp::EspSaIn::create(p);
  if (!in) return in.error();
  c.out.emplace(std::move(out).value());
  c.feeder.emplace(std::move(feeder).value());
  c.in.emplace(std::move(in).value());
  if (e.aead) {
    auto a = crypto::Aead::create(e, c.encr_key);
    if (!a) return a.error();
    c.raw.aead.emplace(std::move(a).value());
  } else {
    auto ci = crypto::Cipher::create(e, c.encr_key);
    if (!ci) return ci.error();
    auto in2 = crypto::Integ::create(*c.suite.integ, c.integ_key);
    if (!in2) return in2.error();
    c.raw.cipher.emplace(std::move(ci).value());
    c.raw.integ.emplace(std::move(in2).value());
  }
  c.ring.emplace(c.out->overhead(), size);
  return {};
}

enum class Op { esp_seal, raw_seal, esp_open, raw_open };

// Untimed preparation before a pass over the ring: fresh packets for the open side.
bool prepare(Case& c, Op op) {
  Ring& r = *c.ring;
  if (op == Op::esp_open) {
    for (size_t i = 0; i < r.count; ++i)
      if (!c.feeder->seal_in_place(r.slot(i), r.o.header, r.payload_len, esp::kNextHeaderIpv4))
        return false;
  } else if (op == Op::raw_open) {
    for (size_t i = 0; i < r.count; ++i)
      if (!c.raw.seal(r, i)) return false;
  }
  return true;
}

// One timed pass over the ring.
bool pass(Case& c, Op op) {
  Ring& r = *c.ring;
  bool ok = true;
  switch (op) {
  case Op::esp_seal:
    for (size_t i = 0; i < r.count; ++i)
      ok &= bool(c.out->seal_in_place(r.slot(i), r.o.header, r.payload_len, esp::kNextHeaderIpv4));
    break;
  case Op::raw_seal:
    for (size_t i = 0; i < r.count; ++i)
      ok &= c.raw.seal(r, i);
    break;
  case Op::esp_open:
    for (size_t i = 0; i < r.count; ++i)
      ok &= bool(c.in->open_in_place(r.packet(i)));
    break;
  case Op::raw_open:
    for (size_t i = 0; i < r.count; ++i)
      ok &= c.raw.open(r, i);
    break;
  }
  return ok;
}

std::string_view op_name(Op op) {
  switch (op) {
  case Op::esp_seal:
    return "ESP seal";
  case Op::raw_seal:
    return "raw seal";
  case Op::esp_open:
    return "ESP open";
  case Op::raw_open:
    return "raw open";
  }
  return "";
}

// Packets per second of `op` over at least `slice` of timed passes.
Result<double> measure(Case& c, Op op, Duration slice) {
  Duration timed{0};
  uint64_t packets = 0;
  do {
    if (!prepare(c, op))
      return make_error(Errc::crypto, "esp",
                        "preparing packets for " + std::string(op_name(op)) + " failed");
    auto t0 = Clock::now();
    bool ok = pass(c, op);
    timed += Clock::now() - t0;
    if (!ok) return make_error(Errc::crypto, "esp", std::string(op_name(op)) + " failed");
    packets += c.ring->count;
  } while (timed < slice);
  return double(packets) / std::chrono::duration<double>(timed).count();
}

Error case_error(Error e, const std::string& cipher) {
  e.within("esp[" + cipher + "]");
  return e;
}
} // namespace

Result<EspSuite> parse_esp_suite(std::string_view name) {
  auto p = crypto::parse_proposal(name, crypto::ProposalKind::esp);
  if (!p) {
    Error e = p.error();
    e.field = "--cipher";
    return e;
  }
  if (p->encr.size() != 1 || p->integ.size() > 1 || !p->ke.empty())
    return make_error(Errc::usage, "--cipher",
                      "\"" + std::string(name) +
                          "\": expected one ESP suite, e.g. aes256gcm16 or aes128-sha256");
  EspSuite s;
  s.name = std::string(name);
  s.encr = p->encr.front();
  s.integ = p->integ.empty() ? nullptr : p->integ.front();
  return s;
}

Result<void> check_esp_options(const EspBenchOptions& opts) {
  if (opts.ciphers.empty()) return make_error(Errc::usage, "--cipher", "no cipher given");
  for (const auto& c : opts.ciphers) {
    auto s = parse_esp_suite(c);
    if (!s) return s.error();
  }
  if (opts.sizes.empty()) return make_error(Errc::usage, "--size", "no size given");
  for (size_t s : opts.sizes)
    if (s < 1 || s > kMaxEspSize)
      return make_error(Errc::usage, "--size",
                        std::to_string(s) + ": expected 1.." + std::to_string(kMaxEspSize) +
                            " bytes");
  if (opts.duration <= Duration::zero())
    return make_error(Errc::usage, "--duration", "must be longer than 0");
  if (opts.rounds < 1) return make_error(Errc::usage, "--rounds", "must be at least 1");
  return {};
}

std::vector<EspCaseResult> run_esp_bench(const EspBenchOptions& opts,
                                         const EspProgressFn& progress) {
  std::vector<EspCaseResult> results;
  const size_t total = opts.ciphers.size() * opts.sizes.size();
  const Duration slice = opts.duration / (4 * opts.rounds);
  size_t index = 0;
  for (const auto& cipher : opts.ciphers) {
    for (size_t size : opts.sizes) {
      if (progress) progress(EspProgress{index++, total, cipher, size});
      EspCaseResult seal, open;
      seal.name = "esp_seal";
      open.name = "esp_open";
      seal.cipher = open.cipher = cipher;
      seal.size_bytes = open.size_bytes = size;

      auto fail = [&](Error e) {
        seal.error = open.error = case_error(std::move(e), cipher);
        seal.esp_pps.clear(), seal.raw_pps.clear(), seal.ratios.clear();
        open.esp_pps.clear(), open.raw_pps.clear(), open.ratios.clear();
      };
      Case c;
      auto suite = parse_esp_suite(cipher);
      if (!suite) {
        fail(suite.error());
      } else {
        c.suite = *suite;
        const bool aead = c.suite.encr->aead;
        seal.raw_primitive =
            aead ? "crypto::Aead::seal" : "crypto::Cipher::encrypt+crypto::Integ::compute";
        open.raw_primitive =
            aead ? "crypto::Aead::open" : "crypto::Integ::verify+crypto::Cipher::decrypt";
        if (auto ok = setup(c, size); !ok) {
          fail(ok.error());
        } else {
          seal.raw_text_bytes = open.raw_text_bytes = c.ring->text_len();
          // Warm-up: caches, branch predictors, lazily initialised OpenSSL state.
          for (Op op : {Op::esp_seal, Op::raw_seal, Op::esp_open, Op::raw_open})
            if (auto w = measure(c, op, slice / 4); !w) fail(w.error());
          for (int r = 0; r < opts.rounds && !seal.error; ++r) {
            // A B in even rounds, B A in odd ones.
            const bool swap = r % 2 == 1;
            const Op order[4] = {
                swap ? Op::raw_seal : Op::esp_seal, swap ? Op::esp_seal : Op::raw_seal,
                swap ? Op::raw_open : Op::esp_open, swap ? Op::esp_open : Op::raw_open};
            double pps[4] = {};
            bool round_ok = true;
            for (Op op : order) {
              auto m = measure(c, op, slice);
              if (!m) {
                fail(m.error());
                round_ok = false;
                break;
              }
              pps[int(op)] = *m;
            }
            if (!round_ok) break;
            seal.esp_pps.push_back(pps[int(Op::esp_seal)]);
            seal.raw_pps.push_back(pps[int(Op::raw_seal)]);
            seal.ratios.push_back(
                ratio(pps[int(Op::esp_seal)], pps[int(Op::raw_seal)]).value_or(0));
            open.esp_pps.push_back(pps[int(Op::esp_open)]);
            open.raw_pps.push_back(pps[int(Op::raw_open)]);
            open.ratios.push_back(
                ratio(pps[int(Op::esp_open)], pps[int(Op::raw_open)]).value_or(0));
          }
        }
      }
      results.push_back(std::move(seal));
      results.push_back(std::move(open));
    }
  }
  return results;
}

json::Json esp_result_to_json(const EspCaseResult& r) {
  json::Json j;
  j["name"] = r.name;
  j["params"] = {{"cipher", r.cipher}, {"size_bytes", r.size_bytes}};
  auto pps = median(r.esp_pps);
  auto raw_pps = median(r.raw_pps);
  const double size = double(r.size_bytes);
  j["packets_per_s"] = json::whole(pps);
  j["bytes_per_s"] = json::whole(pps ? std::optional<double>(*pps * size) : std::nullopt);
  j["spread_pct"] = json::rounded(spread_pct(r.esp_pps), 2);
  j["rounds"] = r.esp_pps.size();
  j["raw"] = {
      {"primitive", r.raw_primitive.empty() ? json::Json() : json::Json(r.raw_primitive)},
      {"text_bytes", r.raw_text_bytes ? json::Json(r.raw_text_bytes) : json::Json()},
      {"packets_per_s", json::whole(raw_pps)},
      {"bytes_per_s", json::whole(raw_pps ? std::optional<double>(*raw_pps * size) : std::nullopt)},
      {"spread_pct", json::rounded(spread_pct(r.raw_pps), 2)}};
  j["ratio"] = {{"vs_openssl_raw", json::rounded(median(r.ratios), 4)}};
  j["error"] = r.error ? json::error_to_json(*r.error) : json::Json();
  return j;
}

} // namespace ikekit::bench
