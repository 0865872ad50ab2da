// MOBIKE, RFC 4555: the IKE SA and its Child SAs move to other addresses without a new
// handshake.
//
// 3.3 Negotiation, in IKE_AUTH (the initiator decides when to move, 2.4):
//   Initiator                         Responder
//   HDR, SK { IDi, ..., N(MOBIKE_SUPPORTED), ... }  -->
//                   <--  HDR, SK { IDr, ..., N(MOBIKE_SUPPORTED), [N(ADDITIONAL_*)] }
//
// 3.5 Changing addresses: the initiator moves the IKE SA to its new path at once, so
// this request (and its retransmissions) leaves from the new address:
//   HDR, SK { N(UPDATE_SA_ADDRESSES), N(NAT_DETECTION_SOURCE_IP),
//             N(NAT_DETECTION_DESTINATION_IP), [N(COOKIE2)] }  -->
//                   <--  HDR, SK { N(NAT_DETECTION_SOURCE_IP),
//                                  N(NAT_DETECTION_DESTINATION_IP), [N(COOKIE2)] }
// The responder moves the IKE SA and its Child SAs to the addresses of the request's IP
// header, and only once the request is authenticated (receive.cpp dispatches nothing
// else). 3.8: a COOKIE2 is echoed in the response; our initiator sends one with every
// update and ignores a response that does not echo it (a return routability check of
// the path it chose). 3.6: ADDITIONAL_IP4/6_ADDRESS and NO_ADDITIONAL_ADDRESSES, in
// IKE_AUTH or INFORMATIONAL, replace the peer's list of further addresses.
#include "mobike.hpp"

#include <algorithm>

namespace ikekit::ike {

using wire::NotifyType;

namespace {

constexpr size_t kCookie2Size = 16; // RFC 4555 3.8: 8 to 64 octets

// RFC 4555 3.6: the list in `in` replaces the peer's earlier one; a message without
// any of these notifies leaves it as it was.
void read_peer_addresses(IkeSa& sa, const Inbound& in) {
  std::vector<IpAddress> list;
  bool listed = false;
  for (const auto& n : in.notifies) {
    if (n.type == NotifyType::no_additional_addresses) {
      listed = true;
    } else if (n.type == NotifyType::additional_ip4_address && n.data.size() == 4) {
      listed = true;
      list.push_back(IpAddress::v4(n.data));
    } else if (n.type == NotifyType::additional_ip6_address && n.data.size() == 16) {
      listed = true;
      list.push_back(IpAddress::v6(n.data));
    }
  }
  if (listed) sa.peer_addresses = std::move(list);
}

// Our NAT_DETECTION_* pair for the SA's current endpoints (RFC 7296 2.23); forced
// encapsulation keeps its fake source hash, as in IKE_SA_INIT.
void write_nat_detection(IkeSa& sa, wire::PayloadWriter& w, std::vector<Bytes>& storage, Rng& rng) {
  Bytes src = nat_detection_hash(sa.spi_i, sa.spi_r, sa.local);
  if (sa.encap_forced) rng.fill(src);
  storage.push_back(std::move(src));
  add_notify(w, NotifyType::nat_detection_source_ip, storage.back());
  storage.push_back(nat_detection_hash(sa.spi_i, sa.spi_r, sa.remote));
  add_notify(w, NotifyType::nat_detection_destination_ip, storage.back());
}

bool has_nat_detection(const Inbound& in) {
  return in.notify(NotifyType::nat_detection_source_ip) &&
         in.notify(NotifyType::nat_detection_destination_ip);
}

} // namespace

namespace mobike {

void offer(const IkeSa& sa, wire::PayloadWriter& w) {
  if (sa.peer->mobike) add_notify(w, NotifyType::mobike_supported);
}

void answer(IkeSa& sa, const Inbound& request, wire::PayloadWriter& w) {
  read_peer_addresses(sa, request);
  if (!sa.peer->mobike || !request.notify(NotifyType::mobike_supported)) return;
  sa.mobike = true;
  add_notify(w, NotifyType::mobike_supported);
}

void accept(IkeSa& sa, const Inbound& response) {
  read_peer_addresses(sa, response);
  sa.mobike = sa.peer->mobike && response.notify(NotifyType::mobike_supported);
}

} // namespace mobike

// Both ends (and NAT traversal's follow_peer): the IKE SA now runs between `local` and
// `remote`.
void Engine::Impl::move_sa(IkeSa& sa, const Endpoint& local, const Endpoint& remote,
                           MoveReason why) {
  IkeSaMoved m{sa.id, sa.peer_name(), sa.local, sa.remote, local, remote, why};
  m.encap = encap_of(sa);
  m.udp_encap = m.encap != Encap::none;
  m.nat_local = sa.nat_local;
  m.nat_remote = sa.nat_remote;
  sa.local = local;
  sa.remote = remote;
  ++sa.moves;
  if (!sa.silent) emit(std::move(m));
}

// Also when only nat_local or nat_remote changed (encap nat both times: a peer whose
// encapsulation is forced, or a NAT moved to the other side): the keepalives (RFC 3948
// 4) and the JSON follow what was found; the Child SAs' ESP stays as it was.
void Engine::Impl::note_encap(IkeSa& sa, const NatState& before) {
  NatState after = nat_state_of(sa);
  if (after == before || sa.silent) return;
  emit(IkeSaEncapChanged{sa.id, sa.peer_name(), sa.local, sa.remote, before.encap, after.encap,
                         sa.nat_local, sa.nat_remote, after.encap != Encap::none});
}

namespace mobike {

Result<void> move_local(EngineContext& cx, IkeSa& sa, const IpAddress& local) {
  if (!sa.mobike)
    return make_error(Errc::unsupported, "mobike",
                      "IKE SA " + std::to_string(sa.id) + " did not negotiate MOBIKE");
  if (!sa.initiator) // RFC 4555 3.3 / 2.4: only the initiator moves an IKE SA
    return make_error(Errc::unsupported, "mobike",
                      "IKE SA " + std::to_string(sa.id) +
                          ": only its initiator may move it (RFC 4555 3.3)");
  if (local.is_v4() != sa.remote.address.is_v4())
    return make_error(Errc::bad_value, "local",
                      local.to_string() + ": not of the peer's address family");
  if (!(local == sa.local.address)) {
    cx.move_sa(sa, Endpoint{local, sa.local.port}, sa.remote, MoveReason::mobike);
    // RFC 9329 7.1: over TCP the move is a new connection from the new address (the I/O
    // layer opens it for what is sent from there); what was in flight goes there too.
    cx.resend_in_new_stream(sa);
  }
  // One update at a time (window size 1): a path change during one is sent after it.
  if (sa.out && sa.out->kind == RequestKind::update_sa_addresses) {
    sa.mobike_again = true;
    return {};
  }
  if (std::none_of(sa.tasks.begin(), sa.tasks.end(),
                   [](const Task& t) { return t.kind == RequestKind::update_sa_addresses; }))
    cx.queue_task(sa, Task{RequestKind::update_sa_addresses});
  return {};
}

// Built when the request leaves (run_tasks), so it names the path the SA is on then.
void write_update_sa_addresses(EngineContext& cx, IkeSa& sa, wire::PayloadWriter& w,
                               std::vector<Bytes>& storage) {
  add_notify(w, NotifyType::update_sa_addresses);
  write_nat_detection(sa, w, storage, cx.rng);
  sa.cookie2 = cx.random_bytes(kCookie2Size);
  add_notify(w, NotifyType::cookie2, sa.cookie2);
  ++cx.stats.mobike_updates_sent;
}

namespace {

// RFC 7296 2.23: an initiator whose NAT detection does not match "MUST tunnel all future
// IKE and ESP packets associated with this IKE SA over UDP port 4500" (and UDP
// encapsulation never runs on port 500). IKE is still on 500 only when the peer sent no
// NAT detection in IKE_SA_INIT (else we floated at IKE_AUTH, RFC 4555 3.3) but answers
// it in the update (3.5): move IKE and the Child SAs to the NAT-T port now, with ESP in
// UDP (an ike_sa_moved that says encap nat). The peer moved to the NAT's mapping of our
// port 500, which is not the one of our port 4500, and with MOBIKE it follows no source
// by itself (3.8): one more UPDATE_SA_ADDRESSES, from port 4500, tells it the mapping
// that ESP in UDP and IKE now come from (strongSwan's initiator needs none: it moves to
// 4500 whenever it moves to a new address, ike_mobike.c apply_port).
bool float_after_update(EngineContext& cx, IkeSa& sa) {
  if (sa.nat_t || sa.stream || !(sa.nat_local || sa.nat_remote)) return false;
  Endpoint local{sa.local.address, cx.config.nat_t_port}, remote = sa.remote;
  if (remote.port == 500) remote.port = cx.config.nat_t_port;
  sa.nat_t = true;
  cx.move_sa(sa, local, remote, MoveReason::mobike);
  sa.mobike_again = true;
  return true;
}

} // namespace

void process_update_response(EngineContext& cx, IkeSa& sa, const Inbound& in) {
  const wire::NotifyPayload* echo = in.notify(NotifyType::cookie2);
  if (!echo || !equal_bytes(echo->data, sa.cookie2))
    return cx.drop(DropReason::bad_cookie2, "UPDATE_SA_ADDRESSES response"); // still in flight
  sa.cookie2.clear();
  // We moved before this answer (move_local): its NAT detection may change the Child
  // SAs' encapsulation on the path we are on now.
  if (has_nat_detection(in)) {
    NatState before = nat_state_of(sa);
    detect_nat(sa, in, sa.spi_i, sa.spi_r);
    if (!float_after_update(cx, sa)) cx.note_encap(sa, before);
  }
  read_peer_addresses(sa, in);
  cx.request_done(sa);
  if (sa.mobike_again) {
    sa.mobike_again = false;
    cx.queue_task(sa, Task{RequestKind::update_sa_addresses});
  }
}

bool is_address_update(const IkeSa& sa, const Inbound& in) {
  return sa.mobike && !sa.initiator && !in.hdr.response() &&
         in.hdr.exchange_type == wire::ExchangeType::informational &&
         in.notify(NotifyType::update_sa_addresses);
}

void answer_informational(EngineContext& cx, IkeSa& sa, const Inbound& in, wire::PayloadWriter& w,
                          std::vector<Bytes>& storage) {
  if (sa.mobike) read_peer_addresses(sa, in);
  if (is_address_update(sa, in)) {
    ++cx.stats.mobike_updates_received;
    const Datagram& dg = *in.dg;
    if (dg.nat_t) sa.nat_t = true; // RFC 4555 3.5: it may have switched to the NAT-T port
    NatState before = nat_state_of(sa);
    if (has_nat_detection(in)) detect_nat(sa, in, sa.spi_i, sa.spi_r);
    if (!(dg.local == sa.local && dg.remote == sa.remote))
      cx.move_sa(sa, dg.local, dg.remote, MoveReason::mobike); // with the new encapsulation
    else
      cx.note_encap(sa, before); // the same path, but what the NAT does there changed
    write_nat_detection(sa, w, storage, cx.rng);
  }
  if (const wire::NotifyPayload* c = in.notify(NotifyType::cookie2)) { // RFC 4555 3.8
    storage.emplace_back(c->data.begin(), c->data.end());
    add_notify(w, NotifyType::cookie2, storage.back());
  }
}

} // namespace mobike

} // namespace ikekit::ike
