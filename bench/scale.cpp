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

// The setup rate over each tenth of the run, per second of this thread's CPU time
// (setup_per_cpu_s_by_tenth; CPU time, so other loads on the machine hardly move it):
// flat when the cost of a handshake does not grow with the SAs the engines hold.
struct SetupTenths {
  size_t total = 0;
  size_t done_at_mark = 0;
  double cpu_at_start = 0, cpu_at_mark = 0;
  std::vector<double> rates;

  void start(size_t n) {
    total = n;
    cpu_at_start = cpu_at_mark = thread_cpu_s();
  }
  void update(size_t done) {
    while (total && rates.size() < 10 && done >= total * (rates.size() + 1) / 10) {
      const size_t mark = total * (rates.size() + 1) / 10;
      const double cpu = thread_cpu_s();
      rates.push_back(cpu > cpu_at_mark ? double(mark - done_at_mark) / (cpu - cpu_at_mark) : 0);
      done_at_mark = mark;
      cpu_at_mark = cpu;
    }
  }
  // Over the whole run so far.
  std::optional<double> overall(size_t done) const {
    const double cpu = thread_cpu_s() - cpu_at_start;
    if (!done || cpu <= 0) return std::nullopt;
    return double(done) / cpu;
  }
};

// Establishes `n` IKE SAs with `batch` in flight; their initiator SaIds go to `ids`
// (when given). Failures are counted; a stall is an error. `tenths` sees done counts
// from `done_before` on (the shards before this one).
Result<void> establish(EnginePair& pair, size_t n, size_t batch, std::vector<ike::SaId>* ids,
                       size_t& ok, size_t& failed, const ScaleProgressFn& progress,
                       SetupTenths* tenths = nullptr, size_t done_before = 0) {
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
    if (tenths) tenths->update(done_before + ok + failed);
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

namespace {

// The establishing phase: counts, time and memory readings around it.
struct Established {
  size_t ok = 0, failed = 0;
  size_t ok0 = 0;             // SAs of the first pair, where the lookups run
  std::vector<ike::SaId> ids; // the first pair's initiator SaIds
  std::optional<size_t> rss0, rss1;
  size_t heap0 = 0, heap1 = 0;
  double setup_s = 0;
  std::optional<double> setup_per_cpu_s; // over this thread's CPU time
  SetupTenths tenths;
};

// Establishes opts.sas IKE SAs over the shards (the first one holding the remainder).
Result<void> establish_shards(std::vector<std::unique_ptr<EnginePair>>& pairs,
                              const ScaleOptions& opts, const ScaleProgressFn& progress,
                              Established& e) {
  const size_t per_shard = opts.sas / opts.shards;
  const size_t first_shard = per_shard + opts.sas % opts.shards;
  // Touched now, so the ids are in the "before" reading, not counted per SA.
  e.ids.assign(first_shard, ike::SaId(1));
  e.rss0 = rss_bytes();
  e.heap0 = heap_bytes();
  const TimePoint t0 = steady_now();
  e.tenths.start(opts.sas);
  Result<void> est;
  for (size_t k = 0; k < opts.shards && est; ++k) {
    size_t shard_ok = 0, shard_failed = 0;
    const size_t done_before = e.ok + e.failed;
    auto shard_progress = [&](const char* phase, size_t done, size_t) {
      if (progress) progress(phase, done_before + done, opts.sas);
    };
    est = establish(*pairs[k], k == 0 ? first_shard : per_shard, opts.batch,
                    k == 0 ? &e.ids : nullptr, shard_ok, shard_failed, shard_progress, &e.tenths,
                    done_before);
    if (k == 0) e.ok0 = shard_ok;
    e.ok += shard_ok;
    e.failed += shard_failed;
  }
  e.setup_s = std::chrono::duration<double>(steady_now() - t0).count();
  e.setup_per_cpu_s = e.tenths.overall(e.ok);
  e.rss1 = rss_bytes();
  e.heap1 = heap_bytes();
  if (!est) return est;
  if (e.failed)
    return make_error(Errc::protocol, "scale",
                      std::to_string(e.failed) + " of " + std::to_string(opts.sas) +
                          " handshakes failed");
  return {};
}

struct LookupCost {
  size_t lookups = 0;
  double dpd_ns = 0, retransmit_ns = 0; // sums
};

// Delivers `dg` to the responder, timing the receive alone.
double timed_receive(ike::Engine& res, const ike::Datagram& dg, TimePoint now) {
  const TimePoint a = steady_now();
  res.receive(dg, now);
  return std::chrono::duration<double, std::nano>(steady_now() - a).count();
}

// One lookup: a DPD request to SA `sa`, then the same request again (a retransmission,
// answered from the cache).
Result<void> lookup_once(EnginePair& pair, ike::SaId sa, Bytes& buf, Bytes& req, LookupCost& c) {
  ike::Engine& ini = pair.initiator();
  ike::Engine& res = pair.responder();
  TimePoint now = steady_now();
  if (auto d = ini.send_dpd(sa, now); !d) return d.error();
  auto t = ini.poll_transmit(buf);
  if (!t) return make_error(Errc::protocol, "scale", "send_dpd queued no datagram");
  req.assign(buf.begin(), buf.begin() + std::ptrdiff_t(t->size));
  const ike::Datagram dg{t->remote, t->local, t->nat_t, req};
  c.dpd_ns += timed_receive(res, dg, now);
  while (auto rt = res.poll_transmit(buf))
    ini.receive(ike::Datagram{rt->remote, rt->local, rt->nat_t, ByteView(buf.data(), rt->size)},
                now);
  c.retransmit_ns += timed_receive(res, dg, now);
  while (res.poll_transmit(buf)) {
  }
  while (ini.poll_event()) {
  }
  while (res.poll_event()) {
  }
  return {};
}

// Lookups: a DPD request to a random established SA, then the same request again.
Result<LookupCost> measure_lookups(EnginePair& pair, const Established& e, size_t lookups,
                                   const ScaleProgressFn& progress) {
  LookupCost c;
  SeededRng pick(0x5ca1e);
  Bytes buf(65535), req;
  req.reserve(2048);
  TimePoint next_progress = steady_now() + 250ms;
  for (size_t k = 0; k < lookups; ++k) {
    uint8_t b[8];
    pick.fill(b);
    if (auto l = lookup_once(pair, e.ids[load_be64(b) % e.ok0], buf, req, c); !l) return l.error();
    ++c.lookups;
    if (progress && steady_now() >= next_progress) {
      progress("lookup", k + 1, lookups);
      next_progress = steady_now() + 250ms;
    }
  }
  return c;
}

// Who holds the memory: destroy one side at a time.
json::Json memory_json(std::vector<std::unique_ptr<EnginePair>>& pairs, const Established& e) {
  const size_t heap2 = heap_bytes();
  for (auto& p : pairs)
    p->destroy_initiator();
  const size_t heap3 = heap_bytes();
  for (auto& p : pairs)
    p->destroy_responder();
  const size_t heap4 = heap_bytes();
  auto per_sa = [&](size_t hi, size_t lo) -> json::Json {
    // A replaced allocator (ASan's) does not keep mallinfo2: unknown, not 0.
    if (!e.ok || e.heap0 == 0 || hi <= lo) return nullptr;
    return json::rounded((double(hi) - double(lo)) / double(e.ok), 0);
  };
  return {{"heap_per_sa_pair_bytes", per_sa(e.heap1, e.heap0)},
          {"initiator_heap_per_sa_bytes", per_sa(heap2, heap3)},
          {"responder_heap_per_sa_bytes", per_sa(heap3, heap4)},
          {"rss_before_bytes", json::or_null(e.rss0)},
          {"rss_established_bytes", json::or_null(e.rss1)}};
}

} // namespace

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
  size_t warm_ok = 0, warm_failed = 0;
  if (auto w = establish(pair, kWarmup, std::min(opts.batch, kWarmup), nullptr, warm_ok,
                         warm_failed, nullptr);
      !w)
    return fail(w.error());
  pair.reset(steady_now());

  Established e;
  if (auto est = establish_shards(pairs, opts, progress, e); !est) out.error = est.error();
  j["established"] = e.ok;
  j["failed"] = e.failed;
  j["setup_per_s"] = json::rounded(
      e.ok && e.setup_s > 0 ? std::optional<double>(double(e.ok) / e.setup_s) : std::nullopt, 1);
  j["setup_per_cpu_s"] = json::rounded(e.setup_per_cpu_s, 1);
  json::Json tenths = json::Json::array();
  for (double r : e.tenths.rates)
    tenths.push_back(json::rounded(r, 1));
  j["setup_per_cpu_s_by_tenth"] = std::move(tenths);
  std::optional<double> per_pair;
  if (e.ok && e.rss0 && e.rss1) per_pair = (double(*e.rss1) - double(*e.rss0)) / double(e.ok);
  j["memory_per_sa_pair_bytes"] = json::rounded(per_pair, 0);

  const uint64_t answered0 = pair.responder().stats().retransmits_answered;
  std::optional<LookupCost> cost;
  if (!out.error && std::min(opts.lookups, e.ok0)) {
    auto c = measure_lookups(pair, e, std::min(opts.lookups, e.ok0), progress);
    if (c)
      cost = *c;
    else
      out.error = c.error();
  }
  const bool looked = cost && cost->lookups;
  const double n = looked ? double(cost->lookups) : 1;
  j["lookup_ns"] =
      json::rounded(looked ? std::optional<double>(cost->dpd_ns / n) : std::nullopt, 0);
  j["lookup_retransmit_ns"] =
      json::rounded(looked ? std::optional<double>(cost->retransmit_ns / n) : std::nullopt, 0);
  j["lookups"] = looked ? cost->lookups : 0;
  j["lookup_sas"] = e.ok0; // SAs held by the engine pair the lookups ran against
  j["retransmits_answered"] = pair.responder().stats().retransmits_answered - answered0;
  j["memory"] = memory_json(pairs, e);
  j["ratio"] = {{"vs_target_4kib", per_pair && *per_pair > 0
                                       ? json::rounded(double(kTargetBytes) / *per_pair, 4)
                                       : json::Json()}};
  j["error"] = out.error ? json::error_to_json(*out.error) : json::Json();
  return out;
}

} // namespace ikekit::bench
