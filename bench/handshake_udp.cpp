// ike-bench handshake --mode udp: ike-bench's initiator engine (handshake_udp_initiator)
// against a responder over real UDP.
//   default: two namespaces on a veth (handshake_udp_netns), the responder -- ike-up or
//            strongSwan's charon (handshake_udp_responder) -- in one, the initiator's
//            sockets in the other; a fresh random PSK per run. Needs root.
//   --target ADDR[:PORT]: an already running responder with the PSK of --psk-file; the
//            initiator binds the local address that routes to it.
// One untimed warm-up handshake first (ARP, the responder's first-use costs), then the
// measured run. Responder CPU is its threads' CPU time over the measured run.
// Namespaces, the responder and the temporary directory are removed on every way out;
// SIGINT/SIGTERM/SIGHUP are held while they exist: one during the handshakes ends the
// run with the error "interrupted"; one during setup aborts it, and once everything is
// removed the signal takes its usual effect.
#include "base/hex.hpp"
#include "bench/handshake.hpp"
#include "bench/handshake_udp_initiator.hpp"
#include "bench/handshake_udp_netns.hpp"
#include "bench/handshake_udp_responder.hpp"
#include "cli/ike_up_options.hpp"
#include "crypto/system_rng.hpp"
#include "ike/config.hpp"
#include "io/endpoint.hpp"

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

namespace ikekit::bench {

namespace {

constexpr size_t kDefaultConcurrency = 64;

// Holds SIGINT/SIGTERM/SIGHUP pending while namespaces and the responder exist; the
// initiator's event loop reads them through its signalfd.
class SignalHold {
public:
  SignalHold() {
    sigemptyset(&set_);
    for (int s : {SIGINT, SIGTERM, SIGHUP})
      sigaddset(&set_, s);
    sigprocmask(SIG_BLOCK, &set_, &old_);
  }
  ~SignalHold() { sigprocmask(SIG_SETMASK, &old_, nullptr); }
  bool pending() const {
    sigset_t p;
    sigpending(&p);
    for (int s : {SIGINT, SIGTERM, SIGHUP})
      if (sigismember(&p, s)) return true;
    return false;
  }

private:
  sigset_t set_{}, old_{};
};

struct TempDir {
  std::string path;
  ~TempDir() {
    if (path.empty()) return;
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

Error interrupted() {
  return make_error(Errc::io, "signal", "interrupted before the run finished");
}

// "ADDR", "ADDR:PORT", "[V6]:PORT" or a bare IPv6 address.
Result<std::pair<IpAddress, uint16_t>> parse_target(const std::string& t) {
  auto bad = [&] {
    return make_error(Errc::usage, "--target",
                      "\"" + t + "\": expected ADDR or ADDR:PORT (IPv6 as [ADDR]:PORT)");
  };
  std::string host = t, port;
  if (!t.empty() && t[0] == '[') {
    auto close = t.find(']');
    if (close == std::string::npos) return bad();
    host = t.substr(1, close - 1);
    if (close + 1 < t.size()) {
      if (t[close + 1] != ':') return bad();
      port = t.substr(close + 2);
    }
  } else if (std::count(t.begin(), t.end(), ':') == 1) {
    host = t.substr(0, t.find(':'));
    port = t.substr(t.find(':') + 1);
  }
  auto addr = IpAddress::parse(host);
  if (!addr) return bad();
  uint16_t p = 500;
  if (!port.empty()) {
    if (port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos) return bad();
    unsigned long v = std::stoul(port);
    if (v == 0 || v > 65535) return bad();
    p = uint16_t(v);
  }
  return std::pair{*addr, p};
}

// The source address the kernel picks for `remote` (a connected UDP socket sends nothing).
Result<IpAddress> route_source(const IpAddress& remote, uint16_t port) {
  sockaddr_storage ss{};
  socklen_t len = io::to_sockaddr(io::Endpoint{remote, port}, ss);
  int fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return make_error(Errc::io, "--target", std::string("socket: ") + strerror(errno));
  int rc = connect(fd, reinterpret_cast<sockaddr*>(&ss), len);
  int err = errno;
  sockaddr_storage local{};
  socklen_t llen = sizeof local;
  if (rc == 0) rc = getsockname(fd, reinterpret_cast<sockaddr*>(&local), &llen);
  close(fd);
  if (rc != 0)
    return make_error(Errc::environment, "--target",
                      "no route to " + remote.to_string() + ": " + strerror(err));
  auto e = io::from_sockaddr(local);
  if (!e)
    return make_error(Errc::environment, "--target", "no local address for " + remote.to_string());
  return e->addr;
}

Result<SecretBytes> read_psk(const std::string& path) {
  if (path.empty())
    return make_error(Errc::usage, "--psk-file",
                      "--target needs --psk-file with the responder's PSK");
  return cli::read_psk_file(path, "--psk-file"); // as ike-up reads it
}

// 32 random hex digits: printable, so it goes into swanctl.conf without escaping.
std::string random_psk() {
  crypto::SystemRng rng;
  uint8_t b[16];
  rng.fill(MutBytes(b, sizeof b));
  return to_hex(ByteView(b, sizeof b));
}

Result<void> run(const HandshakeOptions& opts, const HandshakeProgressFn& progress,
                 HandshakeResult& r) {
  if (opts.auth != HandshakeAuth::psk)
    return make_error(Errc::unsupported, "--auth",
                      std::string("\"") + std::string(handshake_auth_name(opts.auth)) +
                          "\": --mode udp supports psk only so far");
  auto ike_p = ike::parse_ike_proposals(opts.ike_proposal);
  if (!ike_p) return make_error(Errc::usage, "--ike-proposal", ike_p.error().message);
  auto esp_p = ike::parse_esp_proposals(opts.esp_proposal);
  if (!esp_p) return make_error(Errc::usage, "--esp-proposal", esp_p.error().message);
  size_t concurrency = opts.concurrency ? opts.concurrency : kDefaultConcurrency;

  UdpInitiatorOptions io_opts;
  io_opts.ike_proposals = std::move(*ike_p);
  io_opts.esp_proposals = std::move(*esp_p);

  SignalHold hold;
  // Declared in teardown order (reverse): initiator sockets, responder, files, namespaces.
  std::unique_ptr<NetnsPair> netns;
  TempDir dir;
  std::unique_ptr<Responder> responder;
  std::unique_ptr<UdpInitiator> initiator;
  json::Json responder_json = json::Json::object();
  std::string spec_ts;

  if (!opts.target.empty()) {
    auto t = parse_target(opts.target);
    if (!t) return t.error();
    auto psk = read_psk(opts.psk_file);
    if (!psk) return psk.error();
    auto local = route_source(t->first, t->second);
    if (!local) return local.error();
    io_opts.local = *local;
    io_opts.remote = t->first;
    io_opts.remote_port = t->second;
    io_opts.psk = std::move(*psk);
    auto u = UdpInitiator::open(std::move(io_opts));
    if (!u) return u.error();
    initiator = std::move(*u);
    responder_json = {{"program", nullptr}, {"address", opts.target}};
  } else {
    if (opts.peer != "ikekit" && opts.peer != "strongswan")
      return make_error(Errc::usage, "--peer",
                        "\"" + opts.peer + "\": expected ikekit or strongswan");
    auto ns = NetnsPair::create();
    if (!ns) return ns.error();
    netns = std::move(*ns);
    char tmpl[] = "/tmp/ike-bench-udp-XXXXXX";
    if (!mkdtemp(tmpl))
      return make_error(Errc::io, "responder", std::string("mkdtemp: ") + strerror(errno));
    dir.path = tmpl;
    if (hold.pending()) return interrupted();

    IpAddress ts_i = netns->initiator_inner(), ts_r = netns->responder_inner();
    ResponderSpec spec;
    spec.local_ts = ts_r.to_string() + "/32";
    spec.remote_ts = ts_i.to_string() + "/32";
    spec_ts = spec.remote_ts + " === " + spec.local_ts;
    spec.peer = opts.peer;
    spec.netns = netns->responder_ns();
    spec.address = netns->responder_address();
    spec.dir = dir.path;
    spec.psk = random_psk();
    spec.ike_proposal = opts.ike_proposal;
    spec.esp_proposal = opts.esp_proposal;
    spec.ike_up_binary = opts.ike_up_binary;
    auto resp = Responder::start(spec);
    if (!resp) return resp.error();
    responder = std::move(*resp);
    if (hold.pending()) return interrupted();

    io_opts.local = netns->initiator_address();
    io_opts.remote = netns->responder_address();
    io_opts.local_ts = {ike::TsSpec::host(ts_i)};
    io_opts.remote_ts = {ike::TsSpec::host(ts_r)};
    io_opts.psk = SecretBytes(as_bytes(spec.psk));
    std::fill(spec.psk.begin(), spec.psk.end(), '\0');
    {
      auto inside = NetnsEnter::enter(netns->initiator_ns());
      if (!inside) return inside.error();
      auto u = UdpInitiator::open(std::move(io_opts));
      if (!u) return u.error();
      initiator = std::move(*u);
    } // back in our own namespace; the sockets stay in the initiator's
    responder_json = {{"program", responder->program()},
                      {"pid", responder->process().pid()},
                      {"namespaces", {netns->initiator_ns(), netns->responder_ns()}},
                      {"address", netns->responder_address().to_string()},
                      {"traffic_selectors", spec_ts},
                      {"settings", responder->settings()}};
  }

  auto warm = initiator->run(1, Duration{0}, 1, nullptr);
  if (!warm) return warm.error();
  if (warm->interrupted) return interrupted();
  if (warm->completed != 1)
    return make_error(Errc::protocol, "responder",
                      "the warm-up handshake failed: " +
                          (warm->first_failure.empty() ? "no reason" : warm->first_failure));

  std::optional<double> cpu_r0;
  if (responder) {
    auto c = responder->process().cpu_seconds();
    if (c) cpu_r0 = *c;
  }
  std::function<Result<void>()> alive;
  if (responder) alive = [&] { return responder->check_alive(); };
  auto s = initiator->run(opts.count, opts.duration, concurrency, progress, alive);
  std::optional<double> cpu_r;
  if (responder && cpu_r0) {
    auto c = responder->process().cpu_seconds();
    if (c) cpu_r = *c - *cpu_r0;
  }
  if (!s) return s.error();
  if (s->interrupted) return interrupted();
  if (responder)
    if (auto a = responder->check_alive(); !a) return a.error();

  r.completed = s->completed;
  r.failed = s->failed;
  r.elapsed_s = s->elapsed_s;
  r.latency_ms = std::move(s->latency_ms);
  double done = double(s->completed);
  if (s->completed) {
    r.cpu_ms_initiator = s->cpu_s * 1000.0 / done;
    if (cpu_r) r.cpu_ms_responder = *cpu_r * 1000.0 / done;
    // Both processes: what one handshake costs the machine.
    if (r.cpu_ms_responder) r.cpu_ms_total = *r.cpu_ms_initiator + *r.cpu_ms_responder;
    r.messages_per_handshake = double(s->datagrams_sent + s->datagrams_received) / done;
    r.bytes_per_handshake = double(s->bytes_sent + s->bytes_received) / done;
  }
  r.extra = {
      {"responder", responder_json},
      {"abandoned", s->abandoned},
      {"retransmissions", s->retransmissions},
      {"send_dropped", s->send_dropped},
      {"input_dropped", s->input_dropped},
      {"responder_cpu_s", cpu_r ? json::Json(*cpu_r) : json::Json()},
      {"initiator_cpu_s", s->cpu_s},
      {"first_failure", s->first_failure.empty() ? json::Json() : json::Json(s->first_failure)}};
  return {};
}

} // namespace

HandshakeResult run_handshake_udp(const HandshakeOptions& opts,
                                  const HandshakeProgressFn& progress) {
  HandshakeResult r;
  r.name = "handshake_udp";
  size_t concurrency = opts.concurrency ? opts.concurrency : kDefaultConcurrency;
  r.params = {{"mode", "udp"},
              {"concurrency", concurrency},
              {"ike_proposal", opts.ike_proposal},
              {"esp_proposal", opts.esp_proposal},
              {"auth", std::string(handshake_auth_name(opts.auth))}};
  if (opts.target.empty())
    r.params["peer"] = opts.peer;
  else
    r.params["target"] = opts.target;
  if (auto ok = run(opts, progress, r); !ok) r.error = ok.error();
  return r;
}

} // namespace ikekit::bench
