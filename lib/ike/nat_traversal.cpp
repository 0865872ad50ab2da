// NAT traversal once NAT detection is done (RFC 7296 2.23, RFC 3948): the float to the
// NAT-T port, NAT keepalives from the side behind a NAT, and following the peer's NAT
// mapping when it changes. NAT detection itself is in nat_detection.cpp and
// exchange/ike_sa_init.cpp.
#include "ike/engine_impl.hpp"
#include "wire/udp_encap.hpp"

namespace ikekit::ike {

std::string_view encap_name(Encap e) {
  switch (e) {
  case Encap::nat:
    return "nat";
  case Encap::forced:
    return "forced";
  case Encap::none:
    break;
  }
  return "none";
}

std::string_view move_reason_name(MoveReason r) {
  switch (r) {
  case MoveReason::mobike:
    return "mobike";
  case MoveReason::nat_mapping:
    break;
  }
  return "nat_mapping";
}

// RFC 3948 4: "the NAT keepalive ... MUST be sent ... if no other packet to the peer
// was sent in the interval", by the side behind a NAT, which the NAT's mapping serves.
// Forcing encapsulation without a NAT (encap forced) needs none: no mapping to keep.
std::optional<TimePoint> nat_keepalive_at(const IkeSa& sa, Duration interval) {
  // RFC 9329 6.6: no keepalives in a stream (nat_t never set there).
  if (!sa.nat_local || !sa.nat_t || interval.count() <= 0 || !reported_up(sa)) return std::nullopt;
  return sa.last_sent + interval;
}

void Engine::Impl::float_to_nat_t(IkeSa& sa) {
  // RFC 7296 2.23: "the initiator MUST ... send all subsequent traffic ... to port 4500"
  // with the non-ESP marker (added by the I/O layer when Transmit::nat_t).
  // RFC 9329: a stream stays where it is; its ESP goes in it, not in UDP.
  if (sa.nat_t || sa.stream) return;
  sa.nat_t = true;
  sa.local.port = config.nat_t_port;
  if (sa.remote.port == 500) sa.remote.port = config.nat_t_port;
}

std::optional<TimePoint> Engine::Impl::keepalive_at(const IkeSa& sa) const {
  return nat_keepalive_at(sa, config.nat_keepalive);
}

void Engine::Impl::send_keepalive(IkeSa& sa) {
  OutDatagram d{sa.local, sa.remote, true, Bytes{0xff}};
  d.keepalive = true;
  d.sa = sa.id;
  tx.push_back(std::move(d));
  sa.last_sent = now;
  ++stats.nat_keepalives_sent;
}

// RFC 3948 2.3: "A NAT-keepalive packet is a UDP packet with a single octet payload
// with the value 0xFF"; "the receiver SHOULD ignore" it.
bool Engine::Impl::take_keepalive(const Datagram& in) {
  if (!in.nat_t || wire::udp_encap_kind(in.data) != wire::UdpKind::keepalive) return false;
  ++stats.nat_keepalives_received;
  return true;
}

// RFC 7296 2.23: "a host that ... is not behind a NAT, SHOULD send all packets
// (including retransmission packets) to the IP address and port in the validated
// packet, and SHOULD store this as the new address and port combination for the SA";
// "A host behind a NAT SHOULD NOT do this type of dynamic address update" (a spoofed
// source would redirect its traffic). strongSwan follows the same rule (update_hosts:
// the other's address changes only without COND_NAT_HERE). Called only for messages
// whose ICV verified and whose message ID was in the window: nothing unauthenticated
// moves an SA. Only a peer behind a NAT (as NAT detection found it, or as its forced
// encapsulation makes it look) has a mapping to lose: with no NAT there, or only our
// own encapsulation forced, a new source is not the peer's NAT and nothing moves, as
// strongSwan's update_hosts and kernel mapping job (COND_NAT_THERE, not COND_NAT_HERE).
// Moving such a peer is MOBIKE's job (RFC 4555).
void Engine::Impl::follow_peer(IkeSa& sa, const Datagram& in) {
  if (in.nat_t && !sa.nat_t) { // the peer floated to the NAT-T port (IKE_AUTH)
    sa.nat_t = true;
    sa.local.port = in.local.port;
  }
  if (sa.remote == in.remote || !sa.nat_t) return;
  if (!reported_up(sa)) { // still setting up: ike_sa_up will report where the peer is
    sa.remote = in.remote;
    return;
  }
  if (sa.nat_local || !sa.nat_remote) return;
  // With MOBIKE the initiator moves the SA explicitly (UPDATE_SA_ADDRESSES, mobike.cpp):
  // no implicit updates, as strongSwan. Its path probes (an empty INFORMATIONAL from a
  // candidate address before the update, RFC 4555 3.5) must move nothing; they are
  // answered where they came from (RFC 7296 2.11).
  if (sa.mobike) return;
  ++stats.peer_moves;
  move_sa(sa, sa.local, in.remote, MoveReason::nat_mapping);
}

} // namespace ikekit::ike
