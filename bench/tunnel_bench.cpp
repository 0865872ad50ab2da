#include "bench/tunnel_bench.hpp"

#include "bench/esp_bench.hpp"
#include "bench/files.hpp"
#include "bench/netns.hpp"
#include "bench/procfs.hpp"
#include "bench/rounds.hpp"
#include "bench/stats.hpp"
#include "bench/tunnel_parse.hpp"

#include "json/payload_json.hpp"
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <numeric>
#include <sys/stat.h>
#include <unistd.h>

namespace ikekit::bench {

namespace {

using std::chrono::milliseconds;

constexpr const char* kIperfPort = "5201";

std::optional<std::string> peer_cipher(Peer p, const TunnelOptions& o) {
  switch (p) {
  case Peer::ikekit:
  case Peer::ikekit_tcp:
  case Peer::strongswan:
    return o.cipher;
  case Peer::wireguard_go:
    return std::string("chacha20poly1305");
  case Peer::none:
    return std::nullopt;
  }
  return std::nullopt;
}

std::optional<std::string> peer_backend(Peer p, const TunnelOptions& o) {
  switch (p) {
  case Peer::ikekit:
  case Peer::ikekit_tcp:
    return o.backend;
  case Peer::strongswan:
    return std::string("kernel-libipsec");
  case Peer::wireguard_go:
    return std::string("tun");
  case Peer::none:
    return std::nullopt;
  }
  return std::nullopt;
}

Result<IperfReport> iperf_once(const NetnsPair& topo, const RunningTunnel& t,
                               const TunnelOptions& o, int streams) {
  auto c = run_command(
      in_netns(topo.left().ns, {"iperf3", "-c", t.dst, "-B", t.src, "-p", kIperfPort, "-t",
                                std::to_string(o.duration_s), "-P", std::to_string(streams), "-J"}),
      milliseconds((o.duration_s + 20) * 1000));
  if (!c) return c.error();
  auto r = parse_iperf3_json(c->out);
  if (!r) {
    Error e = r.error();
    if (e.code != Errc::io && !c->err.empty()) e.message += ": " + first_line(c->err);
    return e;
  }
  if (r->received_bits_per_s <= 0)
    return make_error(Errc::io, "iperf3", "iperf3 carried no data through the tunnel");
  return r;
}

// iperf3's server takes a moment after a test before it accepts the next one: a client
// that came too early is refused before any data moved ("the server is busy", its
// control connection reset). Such a start is tried again, up to 3 times.
bool iperf_not_started(const Error& e) {
  for (const char* m :
       {"server is busy", "unable to receive control message", "unable to connect to server"})
    if (e.message.find(m) != std::string::npos) return true;
  return false;
}

Result<IperfReport> iperf_client(const NetnsPair& topo, const RunningTunnel& t,
                                 const TunnelOptions& o, int streams) {
  for (int attempt = 1;; ++attempt) {
    auto r = iperf_once(topo, t, o, streams);
    if (r || attempt == 3 || !iperf_not_started(r.error())) return r;
    if (!sleep_unless_stopped(milliseconds(1000))) return interrupted_error();
  }
}

// CPU seconds of the tunnel's own processes (esp-tunnel, wireguard-go, charon) so far;
// nullopt when there are none (the bare veth) or one is gone.
std::optional<double> tunnel_cpu_seconds(RunningTunnel& t) {
  std::vector<pid_t> pids;
  for (auto& p : t.procs)
    pids.push_back(p.pid());
  for (auto& c : t.charons)
    pids.push_back(c.process().pid());
  if (pids.empty()) return std::nullopt;
  double sum = 0;
  for (pid_t pid : pids) {
    auto s = process_cpu_seconds(pid);
    if (!s) return std::nullopt;
    sum += *s;
  }
  return sum;
}

// A private directory per peer and round (keys, configs, logs), removed when the round
// ends, so no round sees another's files.
Result<TunnelRound> measure_round(Peer peer, const TunnelOptions& o,
                                  const std::function<void(const std::string&)>& step) {
  auto dir = PrivateDir::create("ike-bench-tunnel-" + std::string(peer_name(peer)), "tunnel");
  if (!dir) return dir.error();
  step("namespaces");
  auto topo = NetnsPair::create(false);
  if (!topo) return topo.error();
  PeerOptions po;
  po.cipher = o.cipher;
  po.esp_tunnel = o.esp_tunnel;
  po.ike_up = o.ike_up;
  po.work_dir = dir->path();
  po.pid = int(getpid());
  step("starting the tunnel");
  auto tunnel = start_peer(peer, topo->left(), topo->right(), po);
  if (!tunnel) return tunnel.error();
  auto path = wait_for_path(topo->left().ns, *tunnel);
  if (!path) return path.error();

  const std::string base = dir->path() + "/iperf3-server";
  auto server = Child::spawn(in_netns(topo->right().ns, {"iperf3", "-s", "-B", tunnel->dst, "-p",
                                                         kIperfPort, "--forceflush"}),
                             base + ".out", base + ".err");
  if (!server) return server.error();
  auto listening = wait_for_text(base + ".out", "Server listening", *server, milliseconds(5000),
                                 "iperf3", base + ".err");
  if (!listening) return listening.error();

  TunnelRound round;
  step("ping");
  char interval[32];
  std::snprintf(interval, sizeof interval, "%.3f", o.ping_interval_s);
  auto ping =
      run_command(in_netns(topo->left().ns, {"ping", "-n", "-c", std::to_string(o.pings), "-i",
                                             interval, "-W", "2", "-I", tunnel->src, tunnel->dst}),
                  milliseconds(int(o.pings * o.ping_interval_s * 1000) + 10000));
  if (!ping) return ping.error();
  auto pr = parse_ping_output(ping->out);
  if (!pr) return pr.error();
  if (pr->rtt_ms.empty())
    return make_error(Errc::io, "ping",
                      "no ping reply through the tunnel (" + std::to_string(pr->transmitted) +
                          " sent)");
  round.rtt_ms = pr->rtt_ms;
  round.rtt_avg_ms =
      std::accumulate(pr->rtt_ms.begin(), pr->rtt_ms.end(), 0.0) / double(pr->rtt_ms.size());
  round.ping_transmitted = pr->transmitted;
  round.ping_received = pr->received;

  step("iperf3 TCP, 1 stream");
  auto cpu0 = tunnel_cpu_seconds(*tunnel);
  auto single = iperf_client(*topo, *tunnel, o, 1);
  if (!single) return single.error();
  auto cpu1 = tunnel_cpu_seconds(*tunnel);
  round.single_bits_per_s = single->received_bits_per_s;
  if (cpu0 && cpu1)
    round.single_cpu_s_per_gbit =
        (*cpu1 - *cpu0) / (single->received_bits_per_s * o.duration_s / 1e9);
  round.single_retransmits = single->retransmits;
  step("iperf3 TCP, " + std::to_string(o.streams) + " streams");
  auto multi = iperf_client(*topo, *tunnel, o, o.streams);
  if (!multi) return multi.error();
  round.multi_bits_per_s = multi->received_bits_per_s;
  step("stopping");
  return round; // server, tunnel and topology stop here, in that order
}

double median_of(std::vector<double> v) { return median(v).value_or(0); }

std::string ratio_key(std::string_view prefix, Peer p) {
  std::string name(peer_name(p));
  std::replace(name.begin(), name.end(), '-', '_');
  return std::string(prefix) + name;
}

void add_ratios(TunnelResult& first, const std::vector<TunnelResult>& all) {
  if (first.error) return;
  for (const auto& other : all) {
    if (&other == &first || other.error) continue;
    std::vector<double> single, multi, rtt, cpu;
    size_t n = std::min(first.rounds.size(), other.rounds.size());
    for (size_t i = 0; i < n; ++i) {
      const auto& a = first.rounds[i];
      const auto& b = other.rounds[i];
      if (auto r = ratio(a.single_bits_per_s, b.single_bits_per_s)) single.push_back(*r);
      if (auto r = ratio(a.multi_bits_per_s, b.multi_bits_per_s)) multi.push_back(*r);
      if (auto r = ratio(b.rtt_avg_ms, a.rtt_avg_ms)) rtt.push_back(*r); // higher is better
      if (a.single_cpu_s_per_gbit && b.single_cpu_s_per_gbit)
        if (auto r = ratio(*b.single_cpu_s_per_gbit, *a.single_cpu_s_per_gbit)) cpu.push_back(*r);
    }
    if (!single.empty()) first.ratios.emplace_back(ratio_key("vs_", other.peer), median_of(single));
    if (!multi.empty())
      first.ratios.emplace_back(ratio_key("tcp_multi_vs_", other.peer), median_of(multi));
    if (!rtt.empty()) first.ratios.emplace_back(ratio_key("rtt_vs_", other.peer), median_of(rtt));
    if (!cpu.empty())
      first.ratios.emplace_back(ratio_key("cpu_per_gbit_vs_", other.peer), median_of(cpu));
  }
}

} // namespace

Result<void> check_tunnel_options(const TunnelOptions& o) {
  if (o.peers.empty()) return make_error(Errc::usage, "--compare", "no peer given");
  for (size_t i = 0; i < o.peers.size(); ++i)
    for (size_t j = i + 1; j < o.peers.size(); ++j)
      if (o.peers[i] == o.peers[j])
        return make_error(Errc::usage, "--compare",
                          std::string(peer_name(o.peers[i])) + " is listed twice");
  auto suite = parse_esp_suite(o.cipher);
  if (!suite) return suite.error();
  if (o.backend != "tun")
    return make_error(Errc::usage, "--backend",
                      "\"" + o.backend +
                          "\": only tun is measured (this kernel has no ESP for xfrm)");
  if (o.duration_s < 1)
    return make_error(Errc::usage, "--duration",
                      "must be at least 1s (iperf3 -t takes whole seconds)");
  if (o.streams < 2 || o.streams > 128)
    return make_error(Errc::usage, "--streams", std::to_string(o.streams) + ": expected 2..128");
  if (o.rounds < 1 || o.rounds > 100)
    return make_error(Errc::usage, "--rounds", std::to_string(o.rounds) + ": expected 1..100");
  return {};
}

Result<void> check_tunnel_environment() {
  return check_netns_environment(
      "tunnel", "needs root (CAP_NET_ADMIN) to create network namespaces and TUN devices",
      {{"ip", "iproute2"}, {"ping", "iputils-ping"}, {"iperf3", "iperf3"}, {"sysctl", "procps"}});
}

std::vector<TunnelResult> run_tunnel_bench(const TunnelOptions& o,
                                           const TunnelProgressFn& progress) {
  std::vector<TunnelResult> results;
  for (Peer p : o.peers) {
    TunnelResult r;
    r.peer = p;
    r.cipher = peer_cipher(p, o);
    r.backend = peer_backend(p, o);
    PeerOptions po;
    po.esp_tunnel = o.esp_tunnel;
    po.ike_up = o.ike_up;
    if (auto ok = check_peer_tools(p, po); !ok) r.error = ok.error();
    results.push_back(std::move(r));
  }
  run_alternating_rounds(results, o.rounds, [&](TunnelResult& r, int round) {
    return measure_round(r.peer, o, [&](const std::string& s) {
      if (progress) progress({round + 1, o.rounds, r.peer, s});
    });
  });
  if (!results.empty()) add_ratios(results.front(), results);
  return results;
}

double median_single_bits_per_s(const TunnelResult& r) {
  std::vector<double> v;
  for (const auto& x : r.rounds)
    v.push_back(x.single_bits_per_s);
  return median_of(v);
}

json::Json tunnel_result_to_json(const TunnelResult& r, const TunnelOptions& o) {
  json::Json j;
  j["name"] = "tunnel";
  j["params"] = {{"peer", std::string(peer_name(r.peer))},
                 {"cipher", json::or_null(r.cipher)},
                 {"backend", json::or_null(r.backend)},
                 {"transport", json::or_null(peer_transport(r.peer))},
                 {"streams", o.streams},
                 {"duration_s", o.duration_s}};
  const bool ok = !r.error && !r.rounds.empty();
  std::vector<double> single, multi, rtt, cpu;
  uint64_t retransmits = 0;
  bool have_retransmits = false;
  int sent = 0, received = 0;
  for (const auto& x : r.rounds) {
    single.push_back(x.single_bits_per_s);
    multi.push_back(x.multi_bits_per_s);
    rtt.insert(rtt.end(), x.rtt_ms.begin(), x.rtt_ms.end());
    if (x.single_retransmits) retransmits += *x.single_retransmits, have_retransmits = true;
    if (x.single_cpu_s_per_gbit) cpu.push_back(*x.single_cpu_s_per_gbit);
    sent += x.ping_transmitted;
    received += x.ping_received;
  }
  const double s = median_of(single), m = median_of(multi);
  j["tcp_single_bits_per_s"] = json::or_null(ok, s);
  j["tcp_single_bytes_per_s"] = json::or_null(ok, s / 8);
  j["tcp_multi_bits_per_s"] = json::or_null(ok, m);
  j["tcp_multi_bytes_per_s"] = json::or_null(ok, m / 8);
  j["tcp_single_retransmits"] = json::or_null(ok && have_retransmits, retransmits);
  j["tcp_single_cpu_s_per_gbit"] = json::or_null(ok && !cpu.empty(), median_of(cpu));
  const double avg =
      rtt.empty() ? 0 : std::accumulate(rtt.begin(), rtt.end(), 0.0) / double(rtt.size());
  j["ping_rtt_avg_ms"] = json::or_null(ok, avg);
  if (ok && !rtt.empty()) {
    j["ping_rtt_ms"] = {{"p50", *percentile(rtt, 50)},
                        {"p99", *percentile(rtt, 99)},
                        {"avg", avg},
                        {"min", *percentile(rtt, 0)},
                        {"max", *percentile(rtt, 100)}};
  } else {
    j["ping_rtt_ms"] = nullptr;
  }
  j["ping_sent"] = json::or_null(ok, sent);
  j["ping_received"] = json::or_null(ok, received);
  j["rounds"] = r.rounds.size();
  if (!r.ratios.empty()) {
    json::Json ratio = json::Json::object();
    for (const auto& [k, v] : r.ratios)
      ratio[k] = v;
    j["ratio"] = std::move(ratio);
  }
  j["error"] = r.error ? json::error_to_json(*r.error) : json::Json();
  return j;
}

} // namespace ikekit::bench
