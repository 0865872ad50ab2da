// Rekey of the IKE SA with CREATE_CHILD_SA, RFC 7296 1.3.2, 2.8, 2.18:
//
//   HDR, SK {SA, Ni, KEi}  -->
//                                 <--  HDR, SK {SA, Nr, KEr}
//
// The new IKE SA inherits the Child SAs and the SaId (split_rekeyed_ike_sa); the
// initiator of the rekey deletes the old one. Simultaneous rekeys (2.8.1, 2.8.2): see
// create_child_sa.cpp.
#include "ike_rekey.hpp"

#include <algorithm>

namespace ikekit::ike {

namespace {

bool less_bytes(ByteView a, ByteView b) {
  return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end());
}

} // namespace

bool first_pair_has_lowest(ByteView a1, ByteView a2, ByteView b1, ByteView b2) {
  ByteView a = less_bytes(a1, a2) ? a1 : a2;
  ByteView b = less_bytes(b1, b2) ? b1 : b2;
  return less_bytes(a, b);
}

} // namespace ikekit::ike

namespace ikekit::ike::ike_rekey {

using wire::ExchangeType;
using wire::NotifyType;
using wire::PayloadType;

namespace {

// A silent established IKE SA beside `sa` (same peer and path, its own internal id) that
// only sends or answers a Delete and goes away by itself after one retransmission span
// when the peer's never comes; not in the table yet.
std::unique_ptr<IkeSa> silent_entry(EngineContext& cx, const IkeSa& sa, bool initiator,
                                    uint64_t spi_i, uint64_t spi_r, const Chosen& alg) {
  auto entry = std::make_unique<IkeSa>();
  IkeSa& x = *entry;
  x.id = cx.table.allocate_sa_id();
  x.peer = sa.peer;
  x.initiator = initiator;
  x.state = IkeSaState::established;
  x.spi_i = spi_i;
  x.spi_r = spi_r;
  x.local = sa.local;
  x.remote = sa.remote;
  x.nat_t = sa.nat_t;
  x.nat_local = sa.nat_local;
  x.nat_remote = sa.nat_remote;
  x.encap_forced = sa.encap_forced;
  share_stream(x, sa);
  x.alg = alg;
  x.peer_fragmentation = sa.peer_fragmentation;
  x.authenticated = true;
  x.silent = true;
  x.created_at = x.last_received = cx.now;
  x.expire_at = cx.now + cx.retransmit_span();
  return entry;
}

// A new IKE SA that lost a simultaneous rekey (2.8.1): silent, no Child SAs.
IkeSa& add_redundant_ike_sa(EngineContext& cx, const IkeSa& sa, uint64_t spi_i, uint64_t spi_r,
                            bool initiator, const Chosen& alg, IkeKeys keys) {
  auto entry = silent_entry(cx, sa, initiator, spi_i, spi_r, alg);
  IkeSa& x = *entry;
  cx.emit_ike_keys(x, keys); // so that a key log decrypts its Delete
  install_ike_keys(x, std::move(keys));
  cx.table.sas.emplace(x.id, std::move(entry));
  cx.table.index_sa(x);
  return x;
}

// RFC 7296 2.18: the IKE SA `sa` continues with the new SPIs/keys (its SaId stays);
// the old one moves to a new silent entry that only finishes the Delete.
IkeSa& split_rekeyed_ike_sa(EngineContext& cx, IkeSa& sa, uint64_t new_spi_i, uint64_t new_spi_r,
                            bool we_initiated, const Chosen& alg, IkeKeys keys) {
  // The old SA keeps its SPIs, keys, message IDs and response cache under a new internal
  // id, silently; `sa` (same SaId) continues with the new ones.
  auto old = silent_entry(cx, sa, sa.initiator, sa.spi_i, sa.spi_r, sa.alg);
  IkeSa& o = *old;
  o.sk_d = std::move(sa.sk_d);
  o.crypt_in = std::move(sa.crypt_in);
  o.crypt_out = std::move(sa.crypt_out);
  o.msg_id_in = sa.msg_id_in;
  o.msg_id_out = sa.msg_id_out;
  o.last_response = std::move(sa.last_response);
  o.have_last_response = sa.have_last_response;
  o.answered = sa.answered;

  IkeSaRekeyed ev{sa.id, sa.peer_name(), sa.spi_i, sa.spi_r, new_spi_i, new_spi_r};
  // RFC 7296 2.18: the initiator of the rekey is the initiator of the new IKE SA.
  sa.initiator = we_initiated;
  sa.spi_i = new_spi_i;
  sa.spi_r = new_spi_r;
  sa.alg = alg;
  sa.msg_id_in = sa.msg_id_out = 0;
  sa.have_last_response = false;
  sa.last_response.clear();
  sa.out.reset();
  sa.reassembly[0].reset();
  sa.reassembly[1].reset();
  cx.set_state(sa, IkeSaState::established);
  cx.emit(ev);
  cx.emit_ike_keys(sa, keys);
  install_ike_keys(sa, std::move(keys)); // sa.initiator is we_initiated now
  cx.schedule_timers(sa);
  cx.table.sas.emplace(o.id, std::move(old));
  cx.table.index_sa(o);  // the old SPIs now lead to the silent entry,
  cx.table.index_sa(sa); // the new ones to the SA
  cx.run_tasks(sa);
  return o;
}

} // namespace

bool write_request(EngineContext& cx, IkeSa& sa, PendingCreate& pc, wire::PayloadWriter& w,
                   std::vector<Bytes>& storage) {
  pc.new_spi = cx.new_ike_spi();
  auto kex = crypto::KeyExchange::generate(*sa.alg.ke, cx.rng);
  if (!kex) return false;
  pc.kex = std::move(*kex);
  storage.emplace_back(8);
  store_be64(storage.back().data(), pc.new_spi);
  w.add(PayloadType::sa, encode_proposals(sa.peer->ike_proposals, wire::ProtocolId::ike,
                                          storage.back(), sa.alg.ke, true));
  w.add(PayloadType::nonce, wire::NoncePayload{pc.nonce});
  w.add(PayloadType::ke, wire::KePayload{wire::KeGroup(pc.kex->info().id), pc.kex->public_value()});
  cx.set_state(sa, IkeSaState::rekeying);
  return true;
}

void process_request(EngineContext& cx, IkeSa& sa, Inbound& in, const wire::SaPayload* offered,
                     const wire::NoncePayload* ni, const std::optional<wire::KePayload>& ke,
                     const crypto::TransformInfo* hint) {
  Bytes nr = cx.random_bytes(kNonceSize);
  std::vector<Bytes> storage;
  storage.reserve(32);
  Bytes inner(8192);
  wire::PayloadWriter w(inner);
  if (sa.peer_ike_rekey) // the peer rekeys it a second time: one at a time
    return cx.send_error_notify_response(sa, in.hdr, NotifyType::temporary_failure);
  auto chosen = select_proposal(sa.peer->ike_proposals, *offered, wire::ProtocolId::ike, hint);
  if (!chosen || chosen->spi.size() != 8) {
    Failure f = cx.failure(sa, wire::ExchangeType::create_child_sa, FailureStep::proposal,
                           "no IKE proposal in common for the IKE SA rekey");
    f.offered = proposal_strings(*offered);
    f.configured = proposal_strings(sa.peer->ike_proposals);
    ++cx.stats.failures;
    cx.emit(std::move(f));
    return cx.send_error_notify_response(sa, in.hdr, NotifyType::no_proposal_chosen);
  }
  if (nonce_too_short(ni->data, *chosen->prf))
    return cx.send_error_notify_response(sa, in.hdr, NotifyType::invalid_syntax);
  if (!ke || chosen->ke != hint) return cx.send_invalid_ke_response(sa, in.hdr, *chosen->ke);
  auto kex = crypto::KeyExchange::generate(*chosen->ke, cx.rng);
  if (!kex) return cx.send_error_notify_response(sa, in.hdr, NotifyType::temporary_failure);
  auto g_ir = kex->shared_secret(ke->data);
  if (!g_ir) return cx.send_error_notify_response(sa, in.hdr, NotifyType::invalid_syntax);
  uint64_t new_spi_i = load_be64(chosen->spi.data());
  uint64_t new_spi_r = cx.new_ike_spi();
  IkeTransforms t{chosen->encr, chosen->integ, chosen->prf};
  auto keys = derive_rekeyed_ike_keys(*sa.alg.prf, sa.sk_d, t, g_ir->reveal(), ni->data, nr,
                                      new_spi_i, new_spi_r);
  if (!keys) return cx.send_error_notify_response(sa, in.hdr, NotifyType::temporary_failure);
  storage.emplace_back(8);
  store_be64(storage.back().data(), new_spi_r);
  w.add(PayloadType::sa, encode_chosen(*chosen, wire::ProtocolId::ike, storage.back()));
  w.add(PayloadType::nonce, wire::NoncePayload{nr});
  w.add(PayloadType::ke, wire::KePayload{wire::KeGroup(kex->info().id), kex->public_value()});
  if (!cx.answer(sa, ExchangeType::create_child_sa, in.hdr.message_id, w, inner)) return;
  if (sa.pending && sa.pending->kind == RequestKind::rekey_ike) {
    // 2.8.2: our own rekey is in flight; which new IKE SA survives is known once it ends.
    sa.peer_ike_rekey = IkeRekeyRecord{Bytes(ni->data.begin(), ni->data.end()),
                                       nr,
                                       new_spi_i,
                                       new_spi_r,
                                       *chosen,
                                       std::move(*keys)};
    return;
  }
  split_rekeyed_ike_sa(cx, sa, new_spi_i, new_spi_r, false, *chosen, std::move(*keys));
  return;
}

namespace {

// The peer's new IKE SA (answered while ours was in flight) takes over.
void adopt_theirs(EngineContext& cx, IkeSa& sa, IkeRekeyRecord& theirs) {
  split_rekeyed_ike_sa(cx, sa, theirs.spi_i, theirs.spi_r, false, theirs.alg,
                       std::move(theirs.keys));
}

// The answer to our rekey is an error or unacceptable (2.8.2): a rekey of the peer we
// answered meanwhile takes over; after TEMPORARY_FAILURE (the peer is rekeying or
// closing it) ours is tried again later; otherwise a Failure event.
void rekey_refused(EngineContext& cx, IkeSa& sa, const wire::NotifyPayload* e,
                   std::optional<IkeRekeyRecord>& theirs) {
  if (theirs) {
    sa.out.reset();
    ++sa.msg_id_out;
    adopt_theirs(cx, sa, *theirs); // 2.8.2: ours made no SA; the peer's answered one did
    if (e && e->type == NotifyType::temporary_failure) return;
  } else {
    cx.request_done(sa);
  }
  if (!theirs && e && e->type == NotifyType::temporary_failure) {
    // 2.8.2 (simplified): retry after a random 1-5 s.
    Bytes r = cx.random_bytes(1);
    sa.rekey_at = cx.now + std::chrono::milliseconds(1000 + 16 * r[0]);
    return;
  }
  Failure f = cx.failure(sa, wire::ExchangeType::create_child_sa, FailureStep::proposal,
                         e ? "IKE SA rekey refused: " + std::string(wire::notify_type_name(e->type))
                           : "IKE SA rekey answer unacceptable");
  f.from_peer = e != nullptr;
  if (e) f.notify = e->type;
  f.offered = proposal_strings(sa.peer->ike_proposals);
  ++cx.stats.failures;
  cx.emit(std::move(f));
}

} // namespace

void process_response(EngineContext& cx, IkeSa& sa, Inbound& in, PendingCreate& pc,
                      const wire::RawPayload* n_raw, const std::optional<wire::KePayload>& ke) {
  cx.set_state(sa, IkeSaState::established);
  std::optional<IkeRekeyRecord> theirs = std::move(sa.peer_ike_rekey);
  sa.peer_ike_rekey.reset();
  const wire::NotifyPayload* e = in.error_notify();
  auto sa_raw = in.find(PayloadType::sa);
  auto answer = sa_raw ? wire::parse_sa(sa_raw->body)
                       : Result<wire::SaPayload>(make_error(Errc::bad_value, "sa", ""));
  std::optional<Chosen> chosen;
  if (answer) chosen = check_chosen(sa.peer->ike_proposals, *answer, wire::ProtocolId::ike);
  auto nr = n_raw ? wire::parse_nonce(n_raw->body)
                  : Result<wire::NoncePayload>(make_error(Errc::bad_value, "nonce", ""));
  if (e || !chosen || chosen->spi.size() != 8 || !ke || !nr || chosen->ke != &pc.kex->info() ||
      nonce_too_short(nr->data, *sa.alg.prf) || nonce_too_short(nr->data, *chosen->prf))
    return rekey_refused(cx, sa, e, theirs);
  auto g_ir = pc.kex->shared_secret(ke->data);
  uint64_t new_spi_r = load_be64(chosen->spi.data());
  IkeTransforms t{chosen->encr, chosen->integ, chosen->prf};
  Result<IkeKeys> keys = g_ir ? derive_rekeyed_ike_keys(*sa.alg.prf, sa.sk_d, t, g_ir->reveal(),
                                                        pc.nonce, nr->data, pc.new_spi, new_spi_r)
                              : Result<IkeKeys>(g_ir.error());
  sa.out.reset();
  ++sa.msg_id_out;
  if (!keys) {
    cx.emit(
        cx.failure(sa, wire::ExchangeType::create_child_sa, FailureStep::ke, keys.error().message));
    if (theirs) return adopt_theirs(cx, sa, *theirs); // 2.8.2: ours produced no SA
    return cx.run_tasks(sa);
  }
  if (theirs && first_pair_has_lowest(pc.nonce, nr->data, theirs->ni, theirs->nr)) {
    // 2.8.1: our new IKE SA holds the lowest nonce: we close it; the peer's survives and
    // the peer, its initiator, deletes the old one.
    adopt_theirs(cx, sa, *theirs);
    IkeSa& ours =
        add_redundant_ike_sa(cx, sa, pc.new_spi, new_spi_r, true, *chosen, std::move(*keys));
    cx.queue_task(ours, Task{RequestKind::delete_ike});
    return;
  }
  IkeSa& old = split_rekeyed_ike_sa(cx, sa, pc.new_spi, new_spi_r, true, *chosen, std::move(*keys));
  // 2.8.1: the peer's new IKE SA, if any, is redundant: the peer deletes it; we answer.
  if (theirs)
    add_redundant_ike_sa(cx, sa, theirs->spi_i, theirs->spi_r, false, theirs->alg,
                         std::move(theirs->keys));
  cx.queue_task(old, Task{RequestKind::delete_ike});
  return;
}

void adopt_peer_ike_rekey(EngineContext& cx, IkeSa& sa) {
  IkeRekeyRecord theirs = std::move(*sa.peer_ike_rekey);
  sa.peer_ike_rekey.reset();
  sa.pending.reset(); // our own rekey request is forgotten with the old IKE SA
  IkeSa& old = split_rekeyed_ike_sa(cx, sa, theirs.spi_i, theirs.spi_r, false, theirs.alg,
                                    std::move(theirs.keys));
  cx.remove_sa(old, DownReason::deleted_by_peer);
}

} // namespace ikekit::ike::ike_rekey
