#include "bench/handshake_udp_compare.hpp"

#include "bench/process.hpp"
#include "bench/stats.hpp"

#include <algorithm>

namespace ikekit::bench {

namespace {

// Sums of one peer's rounds.
struct Totals {
  HandshakeResult merged;
  double cpu_i_s = 0, cpu_r_s = 0, messages = 0, bytes = 0;
  bool cpu_r_known = true;
  json::Json spares = {{"initiator", 0}, {"responder", 0}}; // summed; null once unknown
  std::vector<double> round_rates;

  void add_spares(const json::Json& round) {
    for (const char* side : {"initiator", "responder"}) {
      const bool known = round.is_object() && round.contains(side) && round[side].is_number();
      if (!known || spares[side].is_null())
        spares[side] = nullptr;
      else
        spares[side] = spares[side].get<uint64_t>() + round[side].get<uint64_t>();
    }
  }

  void add(HandshakeResult& r) {
    merged.params = r.params;
    if (r.error) {
      if (!merged.error) merged.error = r.error;
      return;
    }
    double n = double(r.completed);
    merged.completed += r.completed;
    merged.failed += r.failed;
    merged.elapsed_s += r.elapsed_s;
    merged.latency_ms.insert(merged.latency_ms.end(), r.latency_ms.begin(), r.latency_ms.end());
    cpu_i_s += r.cpu_ms_initiator.value_or(0) * n;
    if (r.cpu_ms_responder)
      cpu_r_s += *r.cpu_ms_responder * n;
    else
      cpu_r_known = false;
    messages += r.messages_per_handshake * n;
    bytes += r.bytes_per_handshake * n;
    round_rates.push_back(r.elapsed_s > 0 ? n / r.elapsed_s : 0);
    add_spares(r.extra.is_object() && r.extra.contains("spare_keys_used")
                   ? r.extra["spare_keys_used"]
                   : json::Json());
    // The last round's mode-specific fields (responder settings etc.) describe them all.
    merged.extra = r.extra;
  }

  HandshakeResult finish(int rounds) {
    HandshakeResult& m = merged;
    if (m.completed) {
      double n = double(m.completed);
      m.cpu_ms_initiator = cpu_i_s / n;
      if (cpu_r_known) m.cpu_ms_responder = cpu_r_s / n;
      if (m.cpu_ms_responder) m.cpu_ms_total = *m.cpu_ms_initiator + *m.cpu_ms_responder;
      m.messages_per_handshake = messages / n;
      m.bytes_per_handshake = bytes / n;
    }
    m.params["rounds"] = rounds;
    if (!m.extra.is_object()) m.extra = json::Json::object();
    m.extra["round_handshakes_per_s"] = round_rates;
    if (m.extra.contains("spare_keys_used")) m.extra["spare_keys_used"] = spares;
    m.extra.erase("responder_cpu_s"); // per round; the sums are in cpu_ms_per_handshake
    m.extra.erase("initiator_cpu_s");
    return std::move(m);
  }
};

} // namespace

std::vector<HandshakeResult> run_handshake_udp_compare(const HandshakeOptions& opts, int rounds,
                                                       const HandshakeProgressFn& progress) {
  rounds = std::max(rounds, 1);
  Totals ikekit, swan;
  ikekit.merged.name = swan.merged.name = "handshake_udp";
  HandshakeOptions o = opts;
  o.target.clear();
  for (int i = 0; i < rounds; ++i) {
    for (int k = 0; k < 2; ++k) {
      bool ikekit_turn = (k == 0) == (i % 2 == 0);
      o.peer = ikekit_turn ? "ikekit" : "strongswan";
      HandshakeResult r = run_handshake_udp(o, progress);
      (ikekit_turn ? ikekit : swan).add(r);
    }
    // Stop early on errors: the remaining rounds would fail the same way.
    if ((ikekit.merged.error && swan.merged.error) || stop_requested()) break;
  }
  std::vector<HandshakeResult> out;
  out.push_back(ikekit.finish(rounds));
  out.push_back(swan.finish(rounds));
  HandshakeResult& a = out[0];
  HandshakeResult& b = out[1];
  a.params["peer"] = "ikekit";
  b.params["peer"] = "strongswan";
  std::optional<double> rate, p50, p99, cpu;
  if (!a.error && !b.error && a.completed && b.completed) {
    rate = ratio(double(a.completed) / a.elapsed_s, double(b.completed) / b.elapsed_s);
    auto pa = percentiles(a.latency_ms), pb = percentiles(b.latency_ms);
    if (pa && pb) {
      p50 = ratio(pb->p50, pa->p50);
      p99 = ratio(pb->p99, pa->p99);
    }
    if (a.cpu_ms_responder && b.cpu_ms_responder)
      cpu = ratio(*b.cpu_ms_responder, *a.cpu_ms_responder);
  }
  a.extra["ratio"] = {{"vs_strongswan", json::or_null(rate)},
                      {"latency_p50_vs_strongswan", json::or_null(p50)},
                      {"latency_p99_vs_strongswan", json::or_null(p99)},
                      {"responder_cpu_vs_strongswan", json::or_null(cpu)}};
  return out;
}

} // namespace ikekit::bench
