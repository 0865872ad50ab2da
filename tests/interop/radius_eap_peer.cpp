// Test driver (tests only, not a shipped tool): our EAP-MSCHAPv2 peer (lib/eap) talking
// to a RADIUS server through our RADIUS client (lib/radius) and its socket (lib/io), as
// a NAS in pass-through mode would carry it (RFC 3579 2):
//
//   peer  <- Request/Identity (made up locally: a NAS starts with the identity)
//   peer  -> Response/Identity   --Access-Request(EAP-Message)-->    server
//   peer  <- Request/MSCHAPv2 Challenge   <--Access-Challenge(State)--
//   peer  -> Response                      --Access-Request(State)-->
//   peer  <- Request/Success "S=..."       <--Access-Challenge--
//   peer  -> Success Response              --Access-Request-->
//   peer  <- EAP-Success                   <--Access-Accept(MS-MPPE-Send/Recv-Key)--
//
//   radius_eap_peer --secret S --user U --password P [--timeout-ms N] ADDR:PORT...
//
// Prints one JSON line (outcome, the peer's status and failure, whether the MSK from the
// MS-MPPE keys equals the peer's, the client's counters) and exits 0 when the exchange
// ended (accept or reject), 1 on a timeout or a protocol failure, 2 on bad usage.
#include "base/hex.hpp"
#include "crypto/system_rng.hpp"
#include "eap/packet.hpp"
#include "eap/peer.hpp"
#include "io/event_loop.hpp"
#include "io/radius_transport.hpp"
#include "radius/mppe.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

using namespace ikekit;

namespace {

struct Options {
  std::string secret, user, password;
  int timeout_ms = 1000;
  std::vector<io::Endpoint> servers;
};

int usage(const std::string& why) {
  std::fprintf(stderr, "radius_eap_peer: %s\n", why.c_str());
  return 2;
}

std::optional<io::Endpoint> parse_endpoint(std::string_view s) {
  const size_t colon = s.rfind(':');
  if (colon == std::string_view::npos) return std::nullopt;
  auto addr = IpAddress::parse(s.substr(0, colon));
  const int port = std::atoi(std::string(s.substr(colon + 1)).c_str());
  if (!addr || port <= 0 || port > 65535) return std::nullopt;
  return io::Endpoint{*addr, uint16_t(port)};
}

struct Run {
  radius::Outcome outcome = radius::Outcome::timeout;
  bool msk_match = false;
  size_t mppe_recv_bytes = 0, mppe_send_bytes = 0;
  unsigned round_trips = 0;
};

Result<Run> run(const Options& o, eap::Peer& peer) {
  std::vector<SecretBytes> secrets;
  for (size_t i = 0; i < o.servers.size(); ++i)
    secrets.emplace_back(as_bytes(o.secret));
  crypto::SystemRng rng;
  radius::Client client(
      radius::ClientConfig{std::move(secrets), std::chrono::milliseconds(o.timeout_ms), 2}, rng);
  auto transport = io::RadiusTransport::open(o.servers);
  if (!transport) return transport.error();
  uint8_t eap_out[4096];
  uint8_t identity_request[8];
  auto n = eap::write_typed(identity_request, eap::Code::request, 0, eap::Type::identity, {});
  if (!n) return n.error();
  eap::Step step = peer.receive(ByteView(identity_request, *n), eap_out);
  Bytes state;
  Run result;
  while (step.written > 0 && result.round_trips < 10) {
    ++result.round_trips;
    radius::AccessRequest req{o.user,
                              ByteView(eap_out, step.written),
                              state,
                              "ikekit-radius-test",
                              IpAddress::parse("127.0.0.1"),
                              "",
                              1400};
    auto h = client.send(req, io::EventLoop::now());
    if (!h) return h.error();
    auto r = transport->wait_for(client, *h);
    if (!r) return r.error();
    result.outcome = r->outcome;
    step = r->eap_message.empty() ? eap::Step{} : peer.receive(r->eap_message, eap_out);
    if (r->outcome != radius::Outcome::challenge) {
      result.mppe_recv_bytes = r->mppe_recv_key.size();
      result.mppe_send_bytes = r->mppe_send_key.size();
      if (r->outcome == radius::Outcome::accept && peer.status() == eap::Status::success) {
        SecretBytes msk = radius::msk_from_mppe(r->mppe_recv_key, r->mppe_send_key);
        result.msk_match = equal_bytes(msk.reveal(), peer.msk().reveal());
      }
      break;
    }
    state = r->state;
  }
  const auto& s = client.stats();
  std::printf("{\"transmissions\":%llu,\"retransmissions\":%llu,\"failovers\":%llu,",
              (unsigned long long)s.transmissions, (unsigned long long)s.retransmissions,
              (unsigned long long)s.failovers);
  return result;
}

} // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--secret")
      o.secret = value();
    else if (a == "--user")
      o.user = value();
    else if (a == "--password")
      o.password = value();
    else if (a == "--timeout-ms")
      o.timeout_ms = std::atoi(value().c_str());
    else if (auto e = parse_endpoint(a))
      o.servers.push_back(*e);
    else
      return usage("\"" + a + "\": expected an option or ADDR:PORT");
  }
  if (o.secret.empty() || o.user.empty() || o.servers.empty() || o.timeout_ms <= 0)
    return usage("--secret, --user and at least one ADDR:PORT are required");
  crypto::SystemRng rng;
  eap::Peer peer(eap::PeerConfig{o.user, {}, SecretBytes(as_bytes(o.password))}, rng);
  auto r = run(o, peer);
  if (!r) {
    std::printf("{\"error\":{\"field\":\"%s\",\"message\":\"%s\"}}\n", r.error().field.c_str(),
                r.error().message.c_str());
    return 1;
  }
  std::printf("\"outcome\":\"%s\",\"peer_status\":\"%s\",\"peer_failure\":\"%s\","
              "\"server_error\":%d,\"mppe_recv_key_bytes\":%zu,\"mppe_send_key_bytes\":%zu,"
              "\"msk_match\":%s,\"round_trips\":%u}\n",
              std::string(radius::outcome_name(r->outcome)).c_str(),
              peer.status() == eap::Status::success   ? "success"
              : peer.status() == eap::Status::failure ? "failure"
                                                      : "running",
              std::string(eap::failure_reason_name(peer.failure())).c_str(),
              peer.server_error() ? int(*peer.server_error()) : -1, r->mppe_recv_bytes,
              r->mppe_send_bytes, r->msk_match ? "true" : "false", r->round_trips);
  return r->outcome == radius::Outcome::timeout ? 1 : 0;
}
