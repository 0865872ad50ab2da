// ike-bench handshake --mode inproc: IKE_SA_INIT + IKE_AUTH (with the first Child SA)
// between two engines in one process and one thread (EnginePair), next to the
// key-exchange bound measured in the same run.
//
// Method:
//  * C handshakes in flight (--concurrency, default 1 so the latency is the pure cost of
//    one handshake); when one reaches the initiator's ChildSaUp the next starts.
//  * Latency: steady_clock from initiate() to the end of the EnginePair::pump() that
//    delivered the initiator's ChildSaUp.
//  * CPU: CLOCK_THREAD_CPUTIME_ID around every engine call, summed per engine
//    (initiator, responder); "total" is CLOCK_PROCESS_CPUTIME_ID over the run, so
//    total - initiator - responder is what the driver itself costs.
//  * Memory stays bounded in long runs: after kRecycleAfter established IKE SAs the
//    driver stops starting handshakes, lets the in-flight ones finish and rebuilds both
//    engines (no Delete exchanges are measured). The rebuild's wall and CPU time are
//    left out of the figures. Neither engine deletes an SA, so without the bound both
//    would hold every SA of the run (state, keys, timers); finding one by SPI is a hash
//    lookup (ike/sa_table.hpp) whatever they hold. This benchmark measures the
//    handshake, `ike-bench scale` what holding many SAs costs.
//  * Key-exchange bound: what the KE operations of one handshake cost through
//    crypto::KeyExchange (both sides' key generation from the same SystemRng as the
//    engines, and both shared secrets with the peer-value checks) for the first KE group
//    of --ike-proposal. Measured in rounds before and after the handshakes (machine
//    noise hits both alike); the median round gives kex_bound_handshakes_per_s =
//    1 / (KE seconds per handshake), and ratio.vs_kex_bound = handshakes_per_s / bound.
//    ratio.vs_kex_bound_cpu is the same in CPU time (KE thread CPU per handshake over
//    the process CPU per handshake), which a busy machine disturbs far less.
//  * Certificate auth: the cost of one sign_auth and one verify_auth with the built-in
//    key is reported too ("signature"), and crypto_bound_handshakes_per_s =
//    1 / (KE + 2 signatures + 2 verifications), the bound with the public-key work.
#include "bench/engine_pair.hpp"
#include "bench/handshake.hpp"
#include "bench/stats.hpp"
#include "crypto/kex.hpp"
#include "crypto/system_rng.hpp"

#include <algorithm>
#include <cmath>

namespace ikekit::bench {

namespace {

using namespace std::chrono_literals;

constexpr size_t kRecycleAfter = 1024; // established IKE SAs per engine generation (see the method)
constexpr int kKexRounds = 3;          // before the run, and as many after it
constexpr Duration kKexRound = 50ms;
constexpr Duration kSigBudget = 100ms;
constexpr Duration kProgressEvery = 250ms;

double seconds(Duration d) { return std::chrono::duration<double>(d).count(); }

struct KexRound {
  double wall_s = 0; // per handshake
  double cpu_s = 0;  // per handshake, this thread's CPU time
};

// KE work per handshake: both key pairs and both shared secrets.
Result<KexRound> kex_round(const crypto::TransformInfo& ke, Rng& rng, Duration budget) {
  size_t n = 0;
  const double c0 = thread_cpu_s();
  TimePoint t0 = steady_now();
  TimePoint t1 = t0;
  do {
    auto a = crypto::KeyExchange::generate(ke, rng);
    if (!a) return a.error();
    auto b = crypto::KeyExchange::generate(ke, rng);
    if (!b) return b.error();
    auto sb = b->shared_secret(a->public_value());
    if (!sb) return sb.error();
    auto sa = a->shared_secret(b->public_value());
    if (!sa) return sa.error();
    ++n;
    t1 = steady_now();
  } while (t1 - t0 < budget);
  return KexRound{seconds(t1 - t0) / double(n), (thread_cpu_s() - c0) / double(n)};
}

struct SigCost {
  std::string scheme;
  double sign_s = 0, verify_s = 0;
};

crypto::AuthScheme scheme_for(crypto::KeyType t) {
  switch (t) {
  case crypto::KeyType::rsa:
    return crypto::AuthScheme::sig_rsa_sha256;
  case crypto::KeyType::ed25519:
    return crypto::AuthScheme::sig_ed25519;
  case crypto::KeyType::ecdsa_p384:
    return crypto::AuthScheme::sig_ecdsa_sha384;
  case crypto::KeyType::ecdsa_p521:
    return crypto::AuthScheme::sig_ecdsa_sha512;
  case crypto::KeyType::ecdsa_p256:
    break;
  }
  return crypto::AuthScheme::sig_ecdsa_sha256;
}

// One AUTH signature and its verification with the initiator's key and certificate,
// over signed octets of a typical size (RFC 7296 2.15: message 1 + Nr + prf output).
Result<SigCost> sig_cost(const ike::PeerConfig& p) {
  SigCost c;
  if (!p.private_key || p.local_certs.empty()) return c;
  auto pub = p.local_certs.front().public_key();
  if (!pub) return pub.error();
  auto scheme = scheme_for(p.private_key->type());
  c.scheme = std::string(crypto::auth_scheme_name(scheme));
  Bytes octets(300, 0x5a);
  Bytes sig;
  size_t n = 0;
  TimePoint t0 = steady_now(), t1 = t0;
  do {
    auto s = p.private_key->sign_auth(scheme, octets);
    if (!s) return s.error();
    sig = std::move(*s);
    ++n;
    t1 = steady_now();
  } while (t1 - t0 < kSigBudget);
  c.sign_s = seconds(t1 - t0) / double(n);
  n = 0;
  t0 = t1 = steady_now();
  do {
    auto v = crypto::verify_auth(*pub, crypto::auth_method_of(scheme), sig, octets);
    if (!v) return v.error();
    ++n;
    t1 = steady_now();
  } while (t1 - t0 < kSigBudget);
  c.verify_s = seconds(t1 - t0) / double(n);
  return c;
}

struct InFlight {
  ike::SaId sa;
  TimePoint started;
};

std::string engine_drops(ike::Engine& e) {
  std::string s;
  const auto& st = e.stats();
  for (size_t k = 0; k < size_t(ike::DropReason::kCount); ++k)
    if (st.dropped[k])
      s += (s.empty() ? "" : ", ") + std::string(ike::drop_reason_name(ike::DropReason(k))) + " " +
           std::to_string(st.dropped[k]);
  return s.empty() ? "none" : s;
}

// The key-exchange rounds measured before and after the handshakes.
struct KexSamples {
  std::vector<double> wall_s, cpu_s;
};

Result<void> measure_kex(const crypto::TransformInfo& ke, Rng& rng, KexSamples& k) {
  for (int i = 0; i < kKexRounds; ++i) {
    auto s = kex_round(ke, rng, kKexRound);
    if (!s)
      return make_error(Errc::crypto, "--ike-proposal",
                        std::string(ke.keyword) + " key exchange: " + s.error().message);
    k.wall_s.push_back(s->wall_s);
    k.cpu_s.push_back(s->cpu_s);
  }
  return {};
}

// The measured loop (see the method): C handshakes in flight, engines rebuilt every
// kRecycleAfter established SAs with the rebuild left out of the figures.
class InprocLoop {
public:
  InprocLoop(EnginePair& pair, const HandshakeOptions& opts, size_t concurrency, HandshakeResult& r)
      : pair_(pair), opts_(opts), concurrency_(concurrency), r_(r) {
    inflight_.reserve(concurrency);
    r_.latency_ms.reserve(opts.count ? opts.count : 1 << 16);
  }

  void run(const HandshakeProgressFn& progress) {
    const TimePoint t_start = steady_now();
    const double cpu_start = process_cpu_s();
    deadline_ = t_start + opts_.duration;
    TimePoint next_progress = t_start + kProgressEvery;
    for (;;) {
      TimePoint now = steady_now();
      const bool stop_starting = opts_.count ? started_ >= opts_.count : now >= deadline_;
      const bool recycle_due = since_reset_ + inflight_.size() >= kRecycleAfter;
      if (inflight_.empty() && stop_starting) break;
      if (inflight_.empty() && recycle_due) {
        recycle(now);
        continue;
      }
      if (!stop_starting && !recycle_due) start_more(now);
      if (r_.error) break;
      const bool moved = pair_.pump(now);
      const TimePoint done_at = steady_now();
      collect(done_at);
      if (!moved && pair_.events().empty() && !inflight_.empty()) {
        stalled(); // nothing in flight on the "wire" and no event: no timer can help in-process
        break;
      }
      if (progress && done_at >= next_progress) {
        progress(r_.completed, r_.failed);
        next_progress = done_at + kProgressEvery;
      }
    }
    r_.elapsed_s = seconds(steady_now() - t_start - paused_);
    cpu_s = process_cpu_s() - cpu_start - paused_cpu_;
    if (progress) progress(r_.completed, r_.failed);
  }

  double cpu_s = 0; // process CPU over the run, rebuilds left out
  size_t resets = 0;

private:
  void recycle(TimePoint now) {
    const double c0 = process_cpu_s();
    pair_.reset(now);
    const TimePoint after = steady_now();
    paused_ += after - now;
    deadline_ += after - now;
    paused_cpu_ += process_cpu_s() - c0;
    since_reset_ = 0;
    ++resets;
  }

  void start_more(TimePoint now) {
    while (inflight_.size() < concurrency_ && (!opts_.count || started_ < opts_.count) &&
           since_reset_ + inflight_.size() < kRecycleAfter) {
      auto id = pair_.initiate(now);
      if (!id) {
        r_.error = id.error();
        return;
      }
      inflight_.push_back({*id, now});
      ++started_;
    }
  }

  void collect(TimePoint done_at) {
    for (const PairEvent& e : pair_.events()) {
      auto it = std::find_if(inflight_.begin(), inflight_.end(),
                             [&](const InFlight& f) { return f.sa == e.sa; });
      if (it == inflight_.end()) continue; // e.g. IkeSaDown after the Failure already counted
      if (e.kind == PairEventKind::child_sa_up) {
        r_.latency_ms.push_back(
            std::chrono::duration<double, std::milli>(done_at - it->started).count());
        ++r_.completed;
        ++since_reset_;
      } else {
        ++r_.failed;
      }
      *it = inflight_.back();
      inflight_.pop_back();
    }
  }

  void stalled() {
    r_.failed += inflight_.size();
    r_.error =
        make_error(Errc::timeout, "handshake",
                   std::to_string(inflight_.size()) + " handshake(s) stalled; responder failures " +
                       std::to_string(pair_.counters().responder_failures) +
                       "; dropped by initiator: " + engine_drops(pair_.initiator()) +
                       "; by responder: " + engine_drops(pair_.responder()));
  }

  EnginePair& pair_;
  const HandshakeOptions& opts_;
  const size_t concurrency_;
  HandshakeResult& r_;
  std::vector<InFlight> inflight_;
  size_t started_ = 0, since_reset_ = 0;
  TimePoint deadline_{};
  Duration paused_{0};
  double paused_cpu_ = 0;
};

// The bounds and ratios of the method: kex, signature, wire and generations.
void add_bounds(HandshakeResult& r, const PairConfig& pc, const KexSamples& kex,
                const std::optional<SigCost>& sig) {
  auto kex_med = median(kex.wall_s);
  std::optional<double> bound;
  if (kex_med && *kex_med > 0) bound = 1.0 / *kex_med;
  std::optional<double> rate;
  if (r.completed && r.elapsed_s > 0) rate = double(r.completed) / r.elapsed_s;
  r.extra["kex_bound_handshakes_per_s"] = json::rounded(bound, 1);
  auto kex_cpu_med = median(kex.cpu_s);
  r.extra["kex"] = {
      {"group", std::string(pc.ke->keyword)},
      {"ms_per_handshake",
       json::rounded(kex_med ? std::optional<double>(*kex_med * 1e3) : std::nullopt, 4)},
      {"cpu_ms_per_handshake",
       json::rounded(kex_cpu_med ? std::optional<double>(*kex_cpu_med * 1e3) : std::nullopt, 4)},
      {"rounds", kex.wall_s.size()},
      {"spread_pct", json::rounded(spread_pct(kex.wall_s), 2)}};
  json::Json ratios = {
      {"vs_kex_bound", rate && bound ? json::rounded(ratio(*rate, *bound), 4) : json::Json()}};
  // The same comparison in CPU time: KE CPU per handshake / all CPU per handshake. It
  // holds up on a loaded machine, where wall-clock rates move with the neighbours.
  ratios["vs_kex_bound_cpu"] = kex_cpu_med && r.cpu_ms_total
                                   ? json::rounded(ratio(*kex_cpu_med * 1e3, *r.cpu_ms_total), 4)
                                   : json::Json();
  if (sig) {
    r.extra["signature"] = {{"key", pc.auth},
                            {"scheme", sig->scheme},
                            {"sign_ms", json::rounded(sig->sign_s * 1e3, 4)},
                            {"verify_ms", json::rounded(sig->verify_s * 1e3, 4)}};
    std::optional<double> cbound;
    if (kex_med) cbound = 1.0 / (*kex_med + 2 * sig->sign_s + 2 * sig->verify_s);
    r.extra["crypto_bound_handshakes_per_s"] = json::rounded(cbound, 1);
    ratios["vs_crypto_bound"] =
        rate && cbound ? json::rounded(ratio(*rate, *cbound), 4) : json::Json();
  }
  r.extra["ratio"] = ratios;
}

// Per-handshake CPU and wire cost, and the failure summary.
void add_costs(HandshakeResult& r, const PairCounters& c, double process_cpu_s) {
  const double n = double(std::max<size_t>(r.completed, 1));
  if (r.completed) {
    r.cpu_ms_initiator = c.cpu_s_initiator / n * 1e3;
    r.cpu_ms_responder = c.cpu_s_responder / n * 1e3;
    r.cpu_ms_total = process_cpu_s / n * 1e3;
    r.messages_per_handshake = double(c.datagrams_i2r + c.datagrams_r2i) / n;
    r.bytes_per_handshake = double(c.bytes_i2r + c.bytes_r2i) / n;
  }
  if (!r.error && r.failed)
    r.error = make_error(Errc::protocol, "handshake",
                         std::to_string(r.failed) + " handshake(s) failed; responder failures " +
                             std::to_string(c.responder_failures));
}

} // namespace

HandshakeResult run_handshake_inproc(const HandshakeOptions& opts,
                                     const HandshakeProgressFn& progress) {
  HandshakeResult r;
  r.name = "handshake_inproc";
  const size_t concurrency = opts.concurrency ? opts.concurrency : 1;
  r.params = {{"ike_proposal", opts.ike_proposal},
              {"esp_proposal", opts.esp_proposal},
              {"auth", std::string(handshake_auth_name(opts.auth))},
              {"concurrency", concurrency}};
  if (opts.count)
    r.params["count"] = opts.count;
  else
    r.params["duration_s"] = seconds(opts.duration);
  if (auto ok = check_handshake_options(opts); !ok) {
    r.error = ok.error();
    return r;
  }
  auto pc = make_pair_config(opts);
  if (!pc) {
    r.error = pc.error();
    return r;
  }
  crypto::SystemRng rng;
  KexSamples kex;
  if (auto k = measure_kex(*pc->ke, rng, kex); !k) {
    r.error = k.error();
    return r;
  }
  std::optional<SigCost> sig;
  if (opts.auth != HandshakeAuth::psk) {
    auto c = sig_cost(pc->initiator.peers.front());
    if (!c) {
      r.error = make_error(Errc::crypto, "--auth", "signature cost: " + c.error().message);
      return r;
    }
    sig = std::move(*c);
  }
  EnginePair pair(*pc, rng, steady_now());
  InprocLoop loop(pair, opts, concurrency, r);
  loop.run(progress);
  if (!r.error)
    if (auto k = measure_kex(*pc->ke, rng, kex); !k) {
      r.error = k.error();
      return r;
    }
  add_costs(r, pair.counters(), loop.cpu_s);
  add_bounds(r, *pc, kex, sig);
  const PairCounters& c = pair.counters();
  r.extra["wire"] = {{"datagrams_i2r", c.datagrams_i2r},
                     {"datagrams_r2i", c.datagrams_r2i},
                     {"bytes_i2r", c.bytes_i2r},
                     {"bytes_r2i", c.bytes_r2i}};
  r.extra["engine_generations"] = loop.resets + 1;
  return r;
}

} // namespace ikekit::bench
