// INFORMATIONAL, RFC 7296 1.4 and 1.4.1.
//
//   Initiator                         Responder
//   HDR, SK {[N,] [D,] [CP,] ...}  -->
//                                <--  HDR, SK {[N,] [D,] [CP], ...}
//
// Deleting a Child SA (1.4.1): the request carries D(ESP, our inbound SPI); "the
// response ... will contain Delete payloads for the paired SAs going in the other
// direction", except when both ends deleted at once (then no D in the response).
// Deleting the IKE SA: D(IKE) in the request, an empty response; all Child SAs go too.
// An empty INFORMATIONAL is a liveness check (DPD): answered with an empty response.
#include "informational.hpp"

#include "ike_auth_eap.hpp"
#include "ike_rekey.hpp"
#include "mobike.hpp"

namespace ikekit::ike::informational {

using wire::ExchangeType;
using wire::PayloadType;

void start(EngineContext& cx, IkeSa& sa, const Task& t) {
  Bytes inner(256);
  wire::PayloadWriter w(inner);
  std::vector<Bytes> storage;
  uint8_t spi[4];
  switch (t.kind) {
  case RequestKind::update_sa_addresses:
    mobike::write_update_sa_addresses(cx, sa, w, storage); // mobike.cpp
    break;
  case RequestKind::delete_ike:
    w.add(PayloadType::d, wire::DeletePayload{wire::ProtocolId::ike, 0, 0, {}});
    cx.set_state(sa, IkeSaState::deleting);
    break;
  case RequestKind::delete_child: {
    if (t.orphan) {
      store_be32(spi, t.child_spi);
      w.add(PayloadType::d, wire::DeletePayload{wire::ProtocolId::esp, 4, 1, ByteView(spi, 4)});
      break;
    }
    ChildSa* c = sa.find_child(t.child_spi);
    if (!c) return; // gone meanwhile (deleted by the peer)
    c->deleting = true;
    store_be32(spi, c->spi_in);
    w.add(PayloadType::d, wire::DeletePayload{wire::ProtocolId::esp, 4, 1, ByteView(spi, 4)});
    break;
  }
  default: // dpd: empty
    break;
  }
  auto d = cx.seal(sa, ExchangeType::informational, false, sa.msg_id_out, w, inner);
  if (!d) return;
  cx.send_request(sa, t.kind, ExchangeType::informational, std::move(*d), t.child_spi);
}

void process_request(EngineContext& cx, IkeSa& sa, Inbound& in) {
  // RFC 7296 2.21: an error notify about the IKE SA, e.g. AUTHENTICATION_FAILED from an
  // initiator that could not verify us (2.21.2): answer, report, and drop the SA.
  if (const wire::NotifyPayload* e = in.error_notify();
      e && e->protocol != wire::ProtocolId::esp &&
      (e->type == wire::NotifyType::authentication_failed ||
       e->type == wire::NotifyType::authorization_failed)) {
    if (auto d = cx.seal(sa, ExchangeType::informational, true, in.hdr.message_id, {},
                         PayloadType::none))
      cx.send_response(sa, std::move(*d));
    Failure f = cx.failure(sa, wire::ExchangeType::ike_auth, FailureStep::auth,
                           "peer reported " + std::string(wire::notify_type_name(e->type)));
    if (sa.eap) ike_auth_eap::refused_by_peer(sa, f); // an EAP client gave up on our EAP method
    f.from_peer = true;
    f.notify = e->type;
    return cx.fail(sa, std::move(f));
  }
  bool delete_ike = false;
  std::vector<uint32_t> answer_spis;
  std::vector<ChildSaDown> downs;
  for (const auto& p : in.inner) {
    if (p.type != uint8_t(PayloadType::d)) continue;
    auto del = wire::parse_delete(p.body);
    if (!del) continue;
    if (del->protocol == wire::ProtocolId::ike) {
      delete_ike = true;
      continue;
    }
    if (del->protocol != wire::ProtocolId::esp || del->spi_size != 4) continue;
    for (size_t i = 0; i < del->count; ++i) {
      uint32_t spi_out = del->spi_u32(i); // the peer's inbound SPI is our outbound
      ChildSa* c = sa.find_child_out(spi_out);
      if (!c) continue;
      if (!c->deleting) answer_spis.push_back(c->spi_in); // 1.4.1: not if we delete too
      downs.push_back(ChildSaDown{sa.id, sa.peer_name(), c->name(), c->spi_in, c->spi_out,
                                  c->rekeyed ? DownReason::rekeyed : DownReason::deleted_by_peer});
      std::erase_if(sa.children, [&](const ChildSa& x) { return x.spi_out == spi_out; });
    }
  }
  Bytes inner(256 + 4 * answer_spis.size());
  wire::PayloadWriter w(inner);
  Bytes spis(4 * answer_spis.size());
  for (size_t i = 0; i < answer_spis.size(); ++i)
    store_be32(spis.data() + 4 * i, answer_spis[i]);
  if (!delete_ike && !answer_spis.empty())
    w.add(PayloadType::d,
          wire::DeletePayload{wire::ProtocolId::esp, 4, uint16_t(answer_spis.size()), spis});
  std::vector<Bytes> storage;
  if (!delete_ike) mobike::answer_informational(cx, sa, in, w, storage); // mobike.cpp
  if (!cx.answer(sa, ExchangeType::informational, in.hdr.message_id, w, inner)) return;
  for (auto& e : downs)
    cx.emit(std::move(e));
  if (delete_ike && sa.peer_ike_rekey) return ike_rekey::adopt_peer_ike_rekey(cx, sa);
  if (delete_ike) cx.remove_sa(sa, DownReason::deleted_by_peer);
}

void process_response(EngineContext& cx, IkeSa& sa, Inbound& in) {
  RequestKind kind = sa.out->kind;
  if (kind == RequestKind::update_sa_addresses) return mobike::process_update_response(cx, sa, in);
  uint32_t spi = sa.out->child_spi;
  if (kind == RequestKind::delete_ike) {
    sa.out.reset();
    ++sa.msg_id_out;
    return cx.remove_sa(sa, DownReason::deleted_locally);
  }
  if (kind == RequestKind::delete_child) {
    if (ChildSa* c = sa.find_child(spi)) {
      cx.emit(ChildSaDown{sa.id, sa.peer_name(), c->name(), c->spi_in, c->spi_out,
                          c->rekeyed ? DownReason::rekeyed : DownReason::deleted_locally});
      std::erase_if(sa.children, [&](const ChildSa& x) { return x.spi_in == spi; });
    }
  }
  cx.request_done(sa);
}

} // namespace ikekit::ike::informational
