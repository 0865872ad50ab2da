// ike-bench scale (scale.hpp): N established SA pairs in one process, their memory and
// the cost of reaching one of them.
#include "bench/scale.hpp"

#include "base/rng.hpp"
#include "bench/engine_pair.hpp"
#include "crypto/system_rng.hpp"

#include "json/payload_json.hpp"
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <malloc.h>
#include <memory>
#include <unistd.h>
#include <vector>

namespace ikekit::bench {

namespace {

using namespace std::chrono_literals;

constexpr size_t kWarmup = 16;
constexpr size_t kMaxBatch = 100'000;
constexpr size_t kMaxShards = 10'000;
constexpr size_t kTargetBytes = 4096; // issue 6: at most 4 KiB per pair at 1M SAs

// Resident set size after giving freed memory back to the kernel.
std::optional<size_t> rss_bytes() {
  malloc_trim(0);
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  if (!f) return std::nullopt;
  unsigned long size = 0, resident = 0;
  const int got = std::fscanf(f, "%lu %lu", &size, &resident);
  std::fclose(f);
  if (got != 2) return std::nullopt;
  return size_t(resident) * size_t(sysconf(_SC_PAGESIZE));
}

// Bytes the allocator has handed out and not got back (glibc mallinfo2): exact where
// RSS also counts the holes between live blocks, so it splits fairly between engines.
size_t heap_bytes() {
  struct mallinfo2 m = mallinfo2();
  return m.uordblks + m.hblkhd;
}

json::Json num(std::optional<double> v, double scale) {
  if (!v || !std::isfinite(*v)) return nullptr;
  return std::round(*v * scale) / scale;
}

// Establishes `n` IKE SAs with `batch` in flight; their initiator SaIds go to `ids`
// (when given). Failures are counted; a stall is an error.
Result<void> establish(EnginePair& pair, size_t n, size_t batch, std::vector<ike::SaId>* ids,
                       size_t& ok, size_t& failed, const ScaleProgressFn& progress) {
  std::vector<ike::SaId> inflight;
  inflight.reserve(batch);
  size_t started = 0;
  TimePoint next_progress = steady_now() + 250ms;
  while (started < n || !inflight.empty()) {
    TimePoint now = steady_now();
    while (started < n && inflight.size() < batch) {
      auto id = pair.initiate(now);
      if (!id) return id.error();
      inflight.push_back(*id);
      ++started;
    }
    const bool moved = pair.pump(now);
    for (const PairEvent& e : pair.events()) {
      auto it = std::find(inflight.begin(), inflight.end(), e.sa);
      if (it == inflight.end()) continue;
      if (e.kind == PairEventKind::child_sa_up) {
        if (ids) (*ids)[ok] = e.sa;
        ++ok;
      } else {
        ++failed;
      }
      *it = inflight.back();
      inflight.pop_back();
    }
    if (!moved && pair.events().empty() && !inflight.empty())
      return make_error(Errc::timeout, "scale",
                        std::to_string(inflight.size()) + " handshake(s) stalled after " +
                            std::to_string(ok) + " established");
    if (progress && now >= next_progress) {
      progress("setup", ok + failed, n);
      next_progress = now + 250ms;
    }
  }
  return {};
}

} // namespace

Result<void> check_scale_options(const ScaleOptions& opts) {
  if (opts.sas == 0 || opts.sas > kMaxScaleSas)
    return make_error(Errc::usage, "--sas",
                      std::to_string(opts.sas) + ": expected 1.." + std::to_string(kMaxScaleSas));
  if (opts.batch == 0 || opts.batch > kMaxBatch)
    return make_error(Errc::usage, "--batch",
                      std::to_string(opts.batch) + ": expected 1.." + std::to_string(kMaxBatch));
  if (opts.shards == 0 || opts.shards > kMaxShards || opts.shards > opts.sas)
    return make_error(Errc::usage, "--shards",
                      std::to_string(opts.shards) + ": expected 1.." +
                          std::to_string(std::min(kMaxShards, opts.sas)) + " (at most --sas)");
  if (opts.lookups == 0 || opts.lookups > kMaxScaleSas)
    return make_error(Errc::usage, "--lookups",
                      std::to_string(opts.lookups) + ": expected 1.." +
                          std::to_string(kMaxScaleSas));
  HandshakeOptions h;
  h.ike_proposal = opts.ike_proposal;
  h.esp_proposal = opts.esp_proposal;
  h.count = 1;
  return check_handshake_options(h);
}

ScaleResult run_scale(const ScaleOptions& opts, const ScaleProgressFn& progress) {
  ScaleResult out;
  json::Json& j = out.doc;
  j["name"] = "scale";
  j["params"] = {{"sas", opts.sas},
                 {"batch", opts.batch},
                 {"shards", opts.shards},
                 {"ike_proposal", opts.ike_proposal},
                 {"esp_proposal", opts.esp_proposal}};
  auto fail = [&](Error e) {
    j["error"] = json::error_to_json(e);
    out.error = std::move(e);
    return out;
  };
  if (auto ok = check_scale_options(opts); !ok) return fail(ok.error());
  HandshakeOptions h;
  h.ike_proposal = opts.ike_proposal;
  h.esp_proposal = opts.esp_proposal;
  auto pc = make_pair_config(h);
  if (!pc) return fail(pc.error());

  crypto::SystemRng rng;
  // Every engine pair exists (empty) before the first reading; only the SAs count.
  std::vector<std::unique_ptr<EnginePair>> pairs;
  for (size_t k = 0; k < opts.shards; ++k)
    pairs.push_back(std::make_unique<EnginePair>(*pc, rng, steady_now()));
  EnginePair& pair = *pairs.front(); // the lookups run against this one
  size_t ok = 0, failed = 0;
  if (auto w =
          establish(pair, kWarmup, std::min(opts.batch, kWarmup), nullptr, ok, failed, nullptr);
      !w)
    return fail(w.error());
  pair.reset(steady_now());
  ok = failed = 0;
  const size_t per_shard = opts.sas / opts.shards;
  const size_t first_shard = per_shard + opts.sas % opts.shards;
  // Touched now, so the ids are in the "before" reading, not counted per SA.
  std::vector<ike::SaId> ids(first_shard, ike::SaId(1));

  auto rss0 = rss_bytes();
  const size_t heap0 = heap_bytes();
  const TimePoint t0 = steady_now();
  Result<void> est;
  size_t ok0 = 0;
  for (size_t k = 0; k < opts.shards && est; ++k) {
    size_t shard_ok = 0, shard_failed = 0;
    const size_t done_before = ok + failed;
    auto shard_progress = [&](const char* phase, size_t done, size_t) {
      if (progress) progress(phase, done_before + done, opts.sas);
    };
    est = establish(*pairs[k], k == 0 ? first_shard : per_shard, opts.batch,
                    k == 0 ? &ids : nullptr, shard_ok, shard_failed, shard_progress);
    if (k == 0) ok0 = shard_ok;
    ok += shard_ok;
    failed += shard_failed;
  }
  const TimePoint t1 = steady_now();
  auto rss1 = rss_bytes();
  const size_t heap1 = heap_bytes();
  if (!est)
    out.error = est.error();
  else if (failed)
    out.error = make_error(Errc::protocol, "scale",
                           std::to_string(failed) + " of " + std::to_string(opts.sas) +
                               " handshakes failed");

  j["established"] = ok;
  j["failed"] = failed;
  const double setup_s = std::chrono::duration<double>(t1 - t0).count();
  j["setup_per_s"] =
      num(ok && setup_s > 0 ? std::optional<double>(double(ok) / setup_s) : std::nullopt, 10);
  std::optional<double> per_pair;
  if (ok && rss0 && rss1) per_pair = (double(*rss1) - double(*rss0)) / double(ok);
  j["memory_per_sa_pair_bytes"] = num(per_pair, 1);

  // Lookups: a DPD request to a random established SA, then the same request again.
  size_t lookups = std::min(opts.lookups, ok0);
  double dpd_ns = 0, retransmit_ns = 0;
  const uint64_t answered0 = pair.responder().stats().retransmits_answered;
  if (!out.error && lookups) {
    SeededRng pick(0x5ca1e);
    Bytes buf(65535), req;
    req.reserve(2048);
    ike::Engine& ini = pair.initiator();
    ike::Engine& res = pair.responder();
    TimePoint next_progress = steady_now() + 250ms;
    for (size_t k = 0; k < lookups; ++k) {
      uint8_t b[8];
      pick.fill(b);
      const ike::SaId sa = ids[load_be64(b) % ok0];
      TimePoint now = steady_now();
      if (auto d = ini.send_dpd(sa, now); !d) {
        out.error = d.error();
        break;
      }
      auto t = ini.poll_transmit(buf);
      if (!t) {
        out.error = make_error(Errc::protocol, "scale", "send_dpd queued no datagram");
        break;
      }
      req.assign(buf.begin(), buf.begin() + std::ptrdiff_t(t->size));
      const ike::Datagram dg{t->remote, t->local, t->nat_t, req};
      const TimePoint a = steady_now();
      res.receive(dg, now);
      const TimePoint b1 = steady_now();
      dpd_ns += std::chrono::duration<double, std::nano>(b1 - a).count();
      while (auto rt = res.poll_transmit(buf))
        ini.receive(ike::Datagram{rt->remote, rt->local, rt->nat_t, ByteView(buf.data(), rt->size)},
                    now);
      const TimePoint c = steady_now();
      res.receive(dg, now);
      const TimePoint d1 = steady_now();
      retransmit_ns += std::chrono::duration<double, std::nano>(d1 - c).count();
      while (res.poll_transmit(buf)) {
      }
      while (ini.poll_event()) {
      }
      while (res.poll_event()) {
      }
      if (progress && d1 >= next_progress) {
        progress("lookup", k + 1, lookups);
        next_progress = d1 + 250ms;
      }
    }
  }
  const uint64_t answered = pair.responder().stats().retransmits_answered - answered0;
  const bool looked = !out.error && lookups;
  j["lookup_ns"] = num(looked ? std::optional<double>(dpd_ns / double(lookups)) : std::nullopt, 1);
  j["lookup_retransmit_ns"] =
      num(looked ? std::optional<double>(retransmit_ns / double(lookups)) : std::nullopt, 1);
  j["lookups"] = looked ? lookups : 0;
  j["lookup_sas"] = ok0; // SAs held by the engine pair the lookups ran against
  j["retransmits_answered"] = answered;

  // Who holds the memory: destroy one side at a time.
  const size_t heap2 = heap_bytes();
  for (auto& p : pairs)
    p->destroy_initiator();
  const size_t heap3 = heap_bytes();
  for (auto& p : pairs)
    p->destroy_responder();
  const size_t heap4 = heap_bytes();
  auto per_sa = [&](size_t hi, size_t lo) -> json::Json {
    // A replaced allocator (ASan's) does not keep mallinfo2: unknown, not 0.
    if (!ok || heap0 == 0 || hi <= lo) return nullptr;
    return num((double(hi) - double(lo)) / double(ok), 1);
  };
  j["memory"] = {{"heap_per_sa_pair_bytes", per_sa(heap1, heap0)},
                 {"initiator_heap_per_sa_bytes", per_sa(heap2, heap3)},
                 {"responder_heap_per_sa_bytes", per_sa(heap3, heap4)},
                 {"rss_before_bytes", rss0 ? json::Json(*rss0) : json::Json()},
                 {"rss_established_bytes", rss1 ? json::Json(*rss1) : json::Json()}};
  j["ratio"] = {{"vs_target_4kib", per_pair && *per_pair > 0
                                       ? num(double(kTargetBytes) / *per_pair, 1e4)
                                       : json::Json()}};
  j["error"] = out.error ? json::error_to_json(*out.error) : json::Json();
  return out;
}

} // namespace ikekit::bench
