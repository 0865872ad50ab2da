// ike-bench handshake --mode udp: ike-bench's initiator engine (handshake_udp_initiator)
// against a responder over real UDP.
//   default: two namespaces on a veth (netns.hpp), the responder -- ike-up or strongSwan's
//            charon (responder.hpp) -- in the right one, the initiator's sockets in the
//            left; a fresh random PSK per run. Needs root.
//   --target ADDR[:PORT]: an already running responder with the PSK of --psk-file; the
//            initiator binds the local address that routes to it.
// One untimed warm-up handshake first (ARP, the responder's first-use costs), then the
// measured run. Responder CPU is its threads' CPU time over the measured run.
// Namespaces, the responder and the temporary directory are removed on every way out; a
// stop signal (process.hpp) ends the run with the error "interrupted".
#include "bench/files.hpp"
#include "bench/handshake.hpp"
#include "bench/responder_status.hpp"
#include "bench/udp_pair.hpp"
#include "cli/ike_up_options.hpp"
#include "ike/config.hpp"
#include "io/endpoint.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace ikekit::bench {

namespace {

constexpr size_t kDefaultConcurrency = 64;

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
  return e->address;
}

Result<SecretBytes> read_psk(const std::string& path) {
  if (path.empty())
    return make_error(Errc::usage, "--psk-file",
                      "--target needs --psk-file with the responder's PSK");
  return cli::read_psk_file(path, "--psk-file"); // as ike-up reads it
}

// The responder at --target: the initiator binds the local address that routes to it.
Result<void> open_target(const HandshakeOptions& opts, UdpInitiatorOptions io, UdpPair& pair,
                         json::Json& responder_json) {
  auto t = parse_target(opts.target);
  if (!t) return t.error();
  auto psk = read_psk(opts.psk_file);
  if (!psk) return psk.error();
  auto local = route_source(t->first, t->second);
  if (!local) return local.error();
  io.local = *local;
  io.remote = t->first;
  io.remote_port = t->second;
  io.psk = std::move(*psk);
  auto u = UdpInitiator::open(std::move(io));
  if (!u) return u.error();
  pair.initiator = std::move(*u);
  responder_json = {{"program", nullptr}, {"address", opts.target}};
  return {};
}

// The key pairs the responder made ahead and used so far (Engine::idle_work), from its
// control socket; nullopt without one (strongSwan, --target) or an answer.
std::optional<uint64_t> responder_spares_used(const UdpPair& pair) {
  if (pair.control_socket.empty()) return std::nullopt;
  auto st = query_responder_status(pair.control_socket, std::chrono::seconds(5));
  if (!st || !st->is_object() || !st->contains("counters")) return std::nullopt;
  const json::Json& c = (*st)["counters"];
  if (!c.is_object() || !c.contains("spare_key_exchanges_used")) return std::nullopt;
  return c["spare_key_exchanges_used"].get<uint64_t>();
}

// The figures of the measured run into `r`.
void fill_result(UdpLoadStats& s, std::optional<double> cpu_r, json::Json responder_json,
                 std::optional<uint64_t> responder_spares, HandshakeResult& r) {
  r.completed = s.completed;
  r.failed = s.failed;
  r.elapsed_s = s.elapsed_s;
  r.latency_ms = std::move(s.latency_ms);
  double done = double(s.completed);
  if (s.completed) {
    r.cpu_ms_initiator = s.cpu_s * 1000.0 / done;
    if (cpu_r) r.cpu_ms_responder = *cpu_r * 1000.0 / done;
    // Both processes: what one handshake costs the machine.
    if (r.cpu_ms_responder) r.cpu_ms_total = *r.cpu_ms_initiator + *r.cpu_ms_responder;
    r.messages_per_handshake = double(s.datagrams_sent + s.datagrams_received) / done;
    r.bytes_per_handshake = double(s.bytes_sent + s.bytes_received) / done;
  }
  r.extra = {
      {"responder", std::move(responder_json)},
      {"abandoned", s.abandoned},
      {"retransmissions", s.retransmissions},
      {"send_dropped", s.send_dropped},
      {"input_dropped", s.input_dropped},
      {"responder_cpu_s", json::or_null(cpu_r)},
      {"initiator_cpu_s", s.cpu_s},
      {"spare_keys_used",
       {{"initiator", s.spare_keys_used}, {"responder", json::or_null(responder_spares)}}},
      {"first_failure", s.first_failure.empty() ? json::Json() : json::Json(s.first_failure)}};
}

Result<void> run(const HandshakeOptions& opts, const HandshakeProgressFn& progress,
                 HandshakeResult& r) {
  if (opts.auth != HandshakeAuth::psk)
    return make_error(Errc::unsupported, "--auth",
                      std::string("\"") + std::string(handshake_auth_name(opts.auth)) +
                          "\": --mode udp supports psk only so far");
  auto io = initiator_options(opts.ike_proposal, opts.esp_proposal);
  if (!io) return io.error();
  UdpPair pair;
  json::Json responder_json;
  if (!opts.target.empty()) {
    if (auto t = open_target(opts, std::move(*io), pair, responder_json); !t) return t;
  } else {
    if (geteuid() != 0)
      return make_error(Errc::environment, "--mode",
                        "udp mode creates network namespaces for its responder and needs root "
                        "(or give --target ADDR of a running responder)");
    UdpPairOptions po;
    po.peer = opts.peer;
    po.ike_proposal = opts.ike_proposal;
    po.esp_proposal = opts.esp_proposal;
    po.ike_up_binary = opts.ike_up_binary;
    po.extra_args = opts.ike_up_args;
    po.control_socket = opts.peer == "ikekit"; // ike-up's spare key counters
    if (auto s = start_udp_pair(po, std::move(*io), pair); !s) return s;
    responder_json = pair.responder_json();
  }
  if (auto w = warm_up(*pair.initiator); !w) return w;

  Responder* resp = pair.responder.get();
  std::optional<uint64_t> spares0 = responder_spares_used(pair);
  std::optional<double> cpu_r0;
  if (resp)
    if (auto c = resp->cpu_seconds()) cpu_r0 = *c;
  std::function<Result<void>()> alive;
  if (resp) alive = [resp] { return resp->check_alive(); };
  size_t concurrency = opts.concurrency ? opts.concurrency : kDefaultConcurrency;
  auto s = pair.initiator->run(opts.count, opts.duration, concurrency, progress, alive);
  std::optional<double> cpu_r;
  if (resp && cpu_r0)
    if (auto c = resp->cpu_seconds()) cpu_r = *c - *cpu_r0;
  if (!s) return s.error();
  if (s->interrupted) return interrupted_error();
  if (resp)
    if (auto a = resp->check_alive(); !a) return a.error();
  std::optional<uint64_t> spares = responder_spares_used(pair);
  if (spares && spares0)
    *spares -= *spares0;
  else
    spares.reset();
  fill_result(*s, cpu_r, std::move(responder_json), spares, r);
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
