#include "bench/flood.hpp"

#include "bench/flood_sender.hpp"
#include "bench/responder_status.hpp"
#include "bench/stats.hpp"
#include "bench/udp_pair.hpp"
#include "io/prefix.hpp"

#include "json/payload_json.hpp"
#include <cmath>
#include <unistd.h>

namespace ikekit::bench {

namespace {

using json::rounded;

using std::chrono::milliseconds;
constexpr Duration kStatusTimeout = std::chrono::seconds(5);

// Whether the IPv4 prefix p/len and q/qlen overlap.
bool overlaps(uint32_t p, unsigned len, uint32_t q, unsigned qlen) {
  unsigned l = std::min(len, qlen);
  uint32_t mask = l == 0 ? 0 : ~uint32_t(0) << (32 - l);
  return (p & mask) == (q & mask);
}

Result<io::Prefix> parse_source_prefix(const std::string& text) {
  auto bad = [&](const std::string& why) {
    return make_error(Errc::usage, "--source-prefix", "\"" + text + "\": " + why);
  };
  auto p = io::Prefix::parse(text);
  if (!p || !p->addr.is_v4()) return bad("expected an IPv4 prefix like 10.200.0.0/16");
  if (p->len < 8) return bad("expected a prefix length of 8..32");
  const uint32_t a = ipv4_host_order(p->addr);
  const std::pair<uint32_t, unsigned> reserved[] = {
      {0x0afb0000, 16},
      {0x0afc0000, 16}, // the namespaces' own (netns.hpp)
      {0x7f000000, 8},
      {0x00000000, 8},
      {0xe0000000, 3}};
  for (const auto& [r, rlen] : reserved)
    if (overlaps(a, p->len, r, rlen))
      return bad("overlaps 10.251.0.0/16, 10.252.0.0/16 (the namespaces' addresses), 0/8, "
                 "127/8 or 224/3");
  return *p;
}

json::Json latency_json(const std::vector<double>& ms) {
  auto p = percentiles(ms);
  if (!p) return {{"p50", nullptr}, {"p90", nullptr}, {"p99", nullptr}, {"max", nullptr}};
  return {{"p50", rounded(p->p50, 4)},
          {"p90", rounded(p->p90, 4)},
          {"p99", rounded(p->p99, 4)},
          {"max", rounded(p->max, 4)}};
}

// What is read from the responder around the flood.
struct Snapshot {
  std::optional<ProcessMemory> memory;
  std::optional<UdpCounters> udp;
  std::optional<double> cpu_s;
  json::Json status; // null without a control socket or answer
};

Snapshot snapshot(UdpPair& pair) {
  Snapshot s;
  pid_t pid = pair.responder->pid();
  s.memory = process_memory(pid);
  s.udp = udp_counters(pid);
  if (auto c = pair.responder->cpu_seconds()) s.cpu_s = *c;
  if (!pair.control_socket.empty())
    if (auto st = query_responder_status(pair.control_socket, kStatusTimeout))
      s.status = std::move(*st);
  return s;
}

// The namespaces and the responder; answers to the spoofed prefix go back over the veth
// (the left namespace drops them: not its addresses, no forwarding).
Result<void> prepare(const FloodOptions& o, const io::Prefix& prefix, UdpPair& pair) {
  auto io = initiator_options(o.ike_proposal, o.esp_proposal);
  if (!io) return io.error();
  io->stall_timeout = Duration{0};
  io->retransmit_timeout = o.legit_retransmit;
  UdpPairOptions po;
  po.peer = o.peer;
  po.ike_proposal = o.ike_proposal;
  po.esp_proposal = o.esp_proposal;
  po.unthrottled = false; // the responder's own DoS defaults: what is measured
  po.control_socket = o.peer == "ikekit";
  po.extra_args = o.ike_up_args;
  po.ike_up_binary = o.ike_up_binary;
  if (auto s = start_udp_pair(po, std::move(*io), pair); !s) return s;
  const NetnsSide &l = pair.netns->left(), &r = pair.netns->right();
  for (const Command& c :
       {Command({"ip", "-n", r.ns, "route", "add", prefix.to_string(), "via", l.outer.to_string(),
                 "dev", r.veth}),
        in_netns(r.ns, {"sysctl", "-qw", "net.ipv4.conf.all.rp_filter=0"}),
        in_netns(r.ns, {"sysctl", "-qw", "net.ipv4.conf." + r.veth + ".rp_filter=0"})})
    if (auto ok = run_checked(c, "flood"); !ok) return ok.error();
  return {};
}

// The flood's sender in the left namespace, with a request of the legitimate client's
// engine as its template.
Result<std::unique_ptr<FloodSender>> open_sender(const FloodOptions& o, const io::Prefix& prefix,
                                                 UdpPair& pair) {
  auto io = initiator_options(o.ike_proposal, o.esp_proposal);
  if (!io) return io.error();
  io->local = pair.netns->left().outer;
  io->remote = pair.netns->right().outer;
  io->psk = SecretBytes(size_t(16)); // the flood never authenticates
  auto request = first_ike_sa_init(*io);
  if (!request) return request.error();
  FloodSenderOptions fo;
  fo.source_base =
      ipv4_host_order(prefix.addr) & (prefix.len == 0 ? 0 : ~uint32_t(0) << (32 - prefix.len));
  fo.source_len = prefix.len;
  fo.destination = pair.netns->right().outer;
  fo.request = std::move(*request);
  fo.rate_pps = o.rate_pps;
  auto inside = NetnsEnter::enter(pair.netns->left().ns);
  if (!inside) return inside.error();
  return FloodSender::open(std::move(fo));
}

struct FloodPhase {
  UdpLoadStats legit;
  FloodTotals flood;
  uint64_t peak_rss_bytes = 0; // the highest VmRSS read during the flood
};

Result<FloodPhase> flood_phase(const FloodOptions& o, UdpPair& pair, FloodSender& sender,
                               const FloodProgressFn& progress) {
  FloodPhase ph;
  Responder& resp = *pair.responder;
  auto sample = [&]() -> Result<void> {
    if (auto m = process_memory(resp.pid()))
      ph.peak_rss_bytes = std::max(ph.peak_rss_bytes, m->rss_bytes);
    return resp.check_alive();
  };
  auto on_progress = [&](size_t completed, size_t failed) {
    if (progress) progress(sender.sent(), completed, failed);
  };
  sender.start();
  auto legit = pair.initiator->run(0, o.duration, o.concurrency, on_progress, sample);
  ph.flood = sender.stop();
  (void)sample(); // the last reading, at the flood's end
  if (!legit) return legit.error();
  if (legit->interrupted) return interrupted_error();
  if (auto a = resp.check_alive(); !a) return a.error();
  ph.legit = std::move(*legit);
  return ph;
}

void add_flood_json(json::Json& j, const FloodPhase& ph, const io::Prefix& prefix) {
  j["flood_sent"] = ph.flood.sent;
  j["flood_send_errors"] = ph.flood.send_errors;
  j["flood_elapsed_s"] = rounded(ph.flood.seconds, 3);
  j["flood_rate_pps"] =
      rounded(ph.flood.seconds > 0 ? std::optional<double>(double(ph.flood.sent) / ph.flood.seconds)
                                   : std::nullopt,
              0);
  j["flood_sources"] = prefix.len >= 32 ? 1 : uint64_t(1) << (32 - prefix.len);
}

void add_legit_json(json::Json& j, const UdpLoadStats& idle, const FloodPhase& ph) {
  const UdpLoadStats& l = ph.legit;
  j["legit_completed"] = l.completed;
  j["legit_failed"] = l.failed;
  j["legit_abandoned"] = l.abandoned;
  j["legit_handshakes_per_s"] = rounded(
      l.elapsed_s > 0 ? std::optional<double>(double(l.completed) / l.elapsed_s) : std::nullopt, 2);
  j["legit_latency_ms"] = latency_json(l.latency_ms);
  j["legit_retransmissions"] = l.retransmissions;
  j["legit_cookie_requests"] = l.cookie_requests;
  // What the legitimate client's IKE messages met: sent (retransmissions included) and
  // answers received; the rest was lost on the way (responder_udp_rcvbuf_errors).
  j["legit_datagrams_sent"] = l.datagrams_sent;
  j["legit_datagrams_received"] = l.datagrams_received;
  j["legit_first_failure"] = l.first_failure.empty() ? json::Json() : json::Json(l.first_failure);
  j["idle_completed"] = idle.completed;
  j["idle_latency_ms"] = latency_json(idle.latency_ms);
}

void add_responder_json(json::Json& j, const UdpPair& pair, const Snapshot& before,
                        const Snapshot& after, const FloodPhase& ph) {
  auto mem = [](const Snapshot& s, bool peak) -> json::Json {
    if (!s.memory) return nullptr;
    return peak ? s.memory->peak_rss_bytes : s.memory->rss_bytes;
  };
  j["responder_rss_before_bytes"] = mem(before, false);
  j["responder_rss_peak_bytes"] = ph.peak_rss_bytes ? json::Json(ph.peak_rss_bytes) : json::Json();
  j["responder_rss_after_bytes"] = mem(after, false);
  j["responder_rss_hwm_bytes"] = mem(after, true);
  j["responder_cpu_s"] =
      rounded(before.cpu_s && after.cpu_s ? std::optional<double>(*after.cpu_s - *before.cpu_s)
                                          : std::nullopt,
              4);
  std::optional<uint64_t> in, rcvbuf;
  if (before.udp && after.udp) {
    in = after.udp->in_datagrams - before.udp->in_datagrams;
    rcvbuf = after.udp->rcvbuf_errors - before.udp->rcvbuf_errors;
  }
  j["responder_udp_in_datagrams"] = json::or_null(in);
  j["responder_udp_rcvbuf_errors"] = json::or_null(rcvbuf);
  json::Json r = pair.responder_json();
  const json::Json& st = after.status;
  r["counters"] = st.is_object() && st.contains("counters") ? st["counters"] : json::Json();
  r["ike_sas"] = st.is_object() && st.contains("ike_sas") ? st["ike_sas"] : json::Json();
  j["responder"] = std::move(r);
  // Evidence of cookies: the legitimate client was asked for one, or the responder says
  // it sent some; unknown (null) when neither can tell.
  const json::Json& c = j["responder"]["counters"];
  const bool counted = c.is_object() && c.value("cookies_sent", uint64_t(0)) > 0;
  if (ph.legit.cookie_requests > 0 || counted)
    j["cookies_demanded"] = true;
  else
    j["cookies_demanded"] = c.is_object() ? json::Json(false) : json::Json();
}

void add_ratios(json::Json& j, const UdpLoadStats& idle, const FloodPhase& ph) {
  const UdpLoadStats& l = ph.legit;
  const size_t tried = l.completed + l.failed + l.abandoned;
  auto pi = percentiles(idle.latency_ms), pf = percentiles(l.latency_ms);
  j["ratio"] = {
      {"legit_success",
       rounded(tried ? std::optional<double>(double(l.completed) / double(tried)) : std::nullopt,
               4)},
      {"latency_p50_idle_vs_flood", rounded(pi && pf ? ratio(pi->p50, pf->p50) : std::nullopt, 4)},
      {"latency_p99_idle_vs_flood", rounded(pi && pf ? ratio(pi->p99, pf->p99) : std::nullopt, 4)}};
}

Result<void> run(const FloodOptions& o, const FloodProgressFn& progress, json::Json& j) {
  if (geteuid() != 0)
    return make_error(Errc::environment, "flood",
                      "needs root: it creates network namespaces and sends from a raw socket");
  auto prefix = parse_source_prefix(o.source_prefix);
  if (!prefix) return prefix.error();
  UdpPair pair;
  if (auto p = prepare(o, *prefix, pair); !p) return p;
  if (auto w = warm_up(*pair.initiator); !w) return w;
  auto alive = [&] { return pair.responder->check_alive(); };
  auto idle = pair.initiator->run(kIdleHandshakes, Duration{0}, o.concurrency, nullptr, alive);
  if (!idle) return idle.error();
  if (idle->interrupted) return interrupted_error();
  auto sender = open_sender(o, *prefix, pair);
  if (!sender) return sender.error();
  Snapshot before = snapshot(pair);
  auto ph = flood_phase(o, pair, **sender, progress);
  if (!ph) return ph.error();
  Snapshot after = snapshot(pair);
  add_flood_json(j, *ph, *prefix);
  add_legit_json(j, *idle, *ph);
  add_responder_json(j, pair, before, after, *ph);
  add_ratios(j, *idle, *ph);
  return {};
}

} // namespace

Result<void> check_flood_options(const FloodOptions& o) {
  if (o.peer != "ikekit" && o.peer != "strongswan")
    return make_error(Errc::usage, "--peer", "\"" + o.peer + "\": expected ikekit or strongswan");
  if (o.duration < std::chrono::seconds(1) || o.duration > std::chrono::hours(1))
    return make_error(Errc::usage, "--duration", "expected 1s..1h");
  if (!(o.rate_pps >= 0) || o.rate_pps > 1e9)
    return make_error(Errc::usage, "--rate", "expected 0 (no cap) or a rate up to 1e9 per second");
  if (o.rate_pps > 0 && o.rate_pps < 1)
    return make_error(Errc::usage, "--rate", "expected at least 1 per second (or 0: no cap)");
  if (o.legit_retransmit < std::chrono::milliseconds(100) ||
      o.legit_retransmit > std::chrono::seconds(60))
    return make_error(Errc::usage, "--legit-retransmit", "expected 100ms..60s");
  if (o.concurrency < 1 || o.concurrency > 10000)
    return make_error(Errc::usage, "--concurrency",
                      std::to_string(o.concurrency) + ": expected 1..10000");
  if (!o.ike_up_args.empty() && o.peer != "ikekit")
    return make_error(Errc::usage, "--ike-up-arg", "only with --peer ikekit");
  if (auto p = parse_source_prefix(o.source_prefix); !p) return p.error();
  if (auto io = initiator_options(o.ike_proposal, o.esp_proposal); !io) return io.error();
  return {};
}

FloodResult run_flood(const FloodOptions& o, const FloodProgressFn& progress) {
  FloodResult out;
  json::Json& j = out.doc;
  j["name"] = "flood";
  j["params"] = {{"peer", o.peer},
                 {"duration_s", std::chrono::duration<double>(o.duration).count()},
                 {"rate_cap_pps", o.rate_pps > 0 ? json::Json(o.rate_pps) : json::Json()},
                 {"source_prefix", o.source_prefix},
                 {"concurrency", o.concurrency},
                 {"legit_retransmit_s", std::chrono::duration<double>(o.legit_retransmit).count()},
                 {"ike_proposal", o.ike_proposal},
                 {"esp_proposal", o.esp_proposal},
                 {"ike_up_args", o.ike_up_args}};
  if (auto r = run(o, progress, j); !r) out.error = r.error();
  j["error"] = out.error ? json::error_to_json(*out.error) : json::Json();
  return out;
}

} // namespace ikekit::bench
