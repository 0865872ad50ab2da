#include "bench/udp_pair.hpp"

#include "base/hex.hpp"
#include "crypto/system_rng.hpp"
#include "ike/config.hpp"

namespace ikekit::bench {

namespace {

// 32 random hex digits: printable, so it goes into swanctl.conf without escaping.
std::string random_psk() {
  crypto::SystemRng rng;
  uint8_t b[16];
  rng.fill(MutBytes(b, sizeof b));
  return to_hex(ByteView(b, sizeof b));
}

} // namespace

json::Json UdpPair::responder_json() const {
  if (!responder) return json::Json::object();
  return {{"program", responder->program()},        {"pid", responder->pid()},
          {"namespaces", netns->names()},           {"address", netns->right().outer.to_string()},
          {"traffic_selectors", traffic_selectors}, {"settings", responder->settings()}};
}

Result<UdpInitiatorOptions> initiator_options(const std::string& ike_proposal,
                                              const std::string& esp_proposal) {
  auto ike_p = ike::parse_ike_proposals(ike_proposal);
  if (!ike_p) return make_error(Errc::usage, "--ike-proposal", ike_p.error().message);
  auto esp_p = ike::parse_esp_proposals(esp_proposal);
  if (!esp_p) return make_error(Errc::usage, "--esp-proposal", esp_p.error().message);
  UdpInitiatorOptions io;
  io.ike_proposals = std::move(*ike_p);
  io.esp_proposals = std::move(*esp_p);
  return io;
}

Result<void> start_udp_pair(const UdpPairOptions& opts, UdpInitiatorOptions io, UdpPair& pair) {
  auto ns = NetnsPair::create(true);
  if (!ns) return ns.error();
  pair.netns.emplace(std::move(*ns));
  auto dir = PrivateDir::create("ike-bench-udp", "responder");
  if (!dir) return dir.error();
  pair.dir = std::move(*dir);
  const NetnsSide &l = pair.netns->left(), &r = pair.netns->right();

  ResponderSpec spec;
  spec.peer = opts.peer;
  spec.netns = r.ns;
  spec.address = r.outer;
  spec.dir = pair.dir.path();
  spec.psk = random_psk();
  spec.ike_proposal = opts.ike_proposal;
  spec.esp_proposal = opts.esp_proposal;
  spec.local_ts = r.inner.to_string() + "/32";
  spec.remote_ts = l.inner.to_string() + "/32";
  spec.unthrottled = opts.unthrottled;
  if (opts.control_socket) spec.control_socket = pair.dir.path() + "/ike-up.sock";
  spec.extra_args = opts.extra_args;
  spec.ike_up_binary = opts.ike_up_binary;
  pair.traffic_selectors = spec.remote_ts + " === " + spec.local_ts;
  auto resp = Responder::start(spec);
  if (!resp) return resp.error();
  pair.responder = std::move(*resp);
  pair.control_socket = spec.control_socket;

  io.local = l.outer;
  io.remote = r.outer;
  io.local_ts = {ike::TsSpec::host(l.inner)};
  io.remote_ts = {ike::TsSpec::host(r.inner)};
  io.psk = SecretBytes(as_bytes(spec.psk));
  std::fill(spec.psk.begin(), spec.psk.end(), '\0');
  auto inside = NetnsEnter::enter(l.ns);
  if (!inside) return inside.error();
  auto u = UdpInitiator::open(std::move(io));
  if (!u) return u.error();
  pair.initiator = std::move(*u);
  return {}; // back in our own namespace; the sockets stay in the left one
}

Result<void> warm_up(UdpInitiator& initiator) {
  auto warm = initiator.run(1, Duration{0}, 1, nullptr);
  if (!warm) return warm.error();
  if (warm->interrupted) return interrupted_error();
  if (warm->completed != 1)
    return make_error(Errc::protocol, "responder",
                      "the warm-up handshake failed: " +
                          (warm->first_failure.empty() ? "no reason" : warm->first_failure));
  return {};
}

} // namespace ikekit::bench
