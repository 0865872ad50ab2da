// IKE in a TCP stream, RFC 9329, as the engine sees it: which transport an IKE SA uses,
// the timing of requests over TCP, the fallback from UDP, and re-establishing a broken
// connection. The stream itself (connect, "IKETCP", framing) is the I/O layer's
// (lib/io/tcp_streams.cpp); the engine only marks what goes in a stream (Transmit::stream)
// and on whose connection (Transmit::connection: RFC 9329 6.1, one IKE SA per connection,
// the old IKE SA of a rekey on its successor's, share_stream in sa.hpp).
//
// RFC 9329 6.2 (Retransmissions): no IKE retransmissions over TCP (the stream is
// reliable), but an overall timeout still ends an exchange: one deadline, the whole span the UDP
// back-off would have taken (retransmit_span()), then the exchange fails.
//
// Fallback (transport auto): IKE_SA_INIT goes out on UDP first; when no answer came
// within tcp_fallback_after, the same IKE SA (same SPI, nonce and KE) sends IKE_SA_INIT
// again in a TCP stream to Config::tcp_port, with NAT detection data for that
// connection; a late UDP answer is dropped (wrong_transport). Over TCP there is no float
// to the NAT-T port and no NAT keepalive (RFC 9329 6.6): ESP goes in the stream.
#include "exchange/ike_sa_init.hpp"
#include "ike/engine_impl.hpp"

namespace ikekit::ike {

namespace {

bool falls_back(const IkeSa& sa) {
  return sa.initiator && !sa.stream && sa.state == IkeSaState::connecting && sa.peer &&
         sa.peer->transport == IkeTransport::auto_fallback;
}

// The TCP connection's endpoints as far as the engine knows them: our source port is
// the kernel's choice (0 here), the peer's is Config::tcp_port.
void move_to_stream(IkeSa& sa, uint16_t tcp_port) {
  sa.stream = true;
  sa.tcp_originator = true;
  sa.nat_t = false;
  sa.local.port = 0;
  sa.remote.port = tcp_port;
}

} // namespace

void Engine::Impl::choose_transport(IkeSa& sa) {
  if (sa.peer && sa.peer->transport == IkeTransport::tcp) move_to_stream(sa, config.tcp_port);
}

TimePoint Engine::Impl::request_deadline(const IkeSa& sa) const {
  if (sa.stream) return now + retransmit_span();
  if (falls_back(sa)) return now + std::min(sa.peer->tcp_fallback_after, config.retransmit_timeout);
  return now + config.retransmit_timeout;
}

std::string Engine::Impl::stream_timeout_reason() const {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(retransmit_span()).count();
  return "no response over TCP within " + std::to_string(ms) + " ms (no retransmissions)";
}

bool Engine::Impl::fall_back_to_tcp(IkeSa& sa) {
  if (!falls_back(sa) || sa.out->exchange != wire::ExchangeType::ike_sa_init) return false;
  if (now - sa.created_at < sa.peer->tcp_fallback_after) return false; // UDP back-off first
  move_to_stream(sa, config.tcp_port);
  ike_sa_init::send_init_request(*this, sa);
  return true;
}

void Engine::Impl::stream_broken(IkeSa& sa) {
  if (!sa.stream || !sa.tcp_originator || sa.state == IkeSaState::dead) return;
  if (sa.reconnected_at != TimePoint{} && now - sa.reconnected_at < std::chrono::seconds(1)) return;
  sa.reconnected_at = now;
  if (resend_in_new_stream(sa)) return;
  if (sa.state == IkeSaState::established && sa.tasks.empty())
    queue_task(sa, Task{RequestKind::dpd});
}

// The request in flight may be lost with the connection it went on, and over TCP no
// timer retransmits it (RFC 9329 6.2): once more, in the connection that replaces it (a
// reconnect, or the originator's new address after a MOBIKE move, RFC 9329 7.1).
bool Engine::Impl::resend_in_new_stream(IkeSa& sa) {
  if (!sa.stream || !sa.tcp_originator || !sa.out) return false;
  for (auto& d : sa.out->datagrams)
    transmit(sa, d);
  return true;
}

void Engine::Impl::follow_stream(IkeSa& sa, const Datagram& in) {
  if (!sa.tcp_originator) sa.remote = in.remote;
}

void Engine::stream_broken(SaId id, TimePoint now) {
  impl_->now = now;
  auto it = impl_->table.sas.find(id);
  if (it == impl_->table.sas.end()) return;
  impl_->stream_broken(*it->second);
  impl_->table.touch(*it->second);
}

void Engine::stream_unreachable(SaId id, const std::string& why, TimePoint now) {
  impl_->now = now;
  auto it = impl_->table.sas.find(id);
  if (it == impl_->table.sas.end()) return;
  IkeSa& sa = *it->second;
  if (!sa.stream || !sa.tcp_originator || sa.state != IkeSaState::connecting || !sa.out) return;
  Failure f = impl_->failure(sa, sa.out->exchange, FailureStep::connect, why);
  ++impl_->stats.failures;
  impl_->emit(std::move(f));
  impl_->remove_sa(sa, DownReason::retransmit);
}

} // namespace ikekit::ike
