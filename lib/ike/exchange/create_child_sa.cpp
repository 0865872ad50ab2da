// CREATE_CHILD_SA, RFC 7296 1.3, 2.8, 2.17, 2.18.
//
//   New Child SA (1.3.1):
//   HDR, SK {SA, Ni, [KEi], TSi, TSr}  -->
//                                 <--  HDR, SK {SA, Nr, [KEr], TSi, TSr}
//   Rekey a Child SA (1.3.3):
//   HDR, SK {N(REKEY_SA), SA, Ni, [KEi], TSi, TSr}  -->
//                                 <--  HDR, SK {SA, Nr, [KEr], TSi, TSr}
//   Rekey the IKE SA (1.3.2):
//   HDR, SK {SA, Ni, KEi}  -->
//                                 <--  HDR, SK {SA, Nr, KEr}
//
// After a rekey the initiator deletes the old SA (2.8). Simultaneous rekeys, of a Child
// SA or of the IKE SA (2.8.1, 2.8.2): each end answers the other's request normally while
// its own is outstanding, so both exchanges complete; "the SA created with the lowest of
// the four nonces ... SHOULD be closed by the endpoint that created it", and "the node
// that initiated the surviving rekeyed SA should delete the replaced SA". For the IKE SA
// the peer's new SA is kept aside (IkeSa::peer_ike_rekey) until our own exchange ends;
// the survivor then takes the SaId and the Child SAs, the redundant one becomes a silent
// entry that only carries its Delete. An end that had already finished its own rekey
// answers the peer's with TEMPORARY_FAILURE (2.8.2: it is closing that IKE SA); the peer
// then keeps the SA the first end created.
#include "config_payload.hpp"
#include "ike/engine_impl.hpp"
#include "ike/ts.hpp"

namespace ikekit::ike {

using crypto::TransformKind;
using wire::ExchangeType;
using wire::NotifyType;
using wire::PayloadType;

namespace {

const crypto::TransformInfo* pfs_group(const ChildConfig& cfg) {
  for (const auto& p : cfg.esp_proposals)
    if (!p.ke.empty()) return p.ke[0];
  return nullptr;
}

} // namespace

void Engine::Impl::start_create_child(IkeSa& sa, const Task& t) {
  PendingCreate pc;
  pc.kind = t.kind;
  pc.nonce = random_bytes(kNonceSize);
  std::vector<Bytes> storage;
  storage.reserve(32);
  Bytes inner(8192);
  wire::PayloadWriter w(inner);

  if (t.kind == RequestKind::rekey_ike) {
    if (sa.state != IkeSaState::established) return;
    pc.new_spi = new_ike_spi();
    auto kex = crypto::KeyExchange::generate(*sa.alg.ke, rng);
    if (!kex) return;
    pc.kex = std::move(*kex);
    storage.emplace_back(8);
    store_be64(storage.back().data(), pc.new_spi);
    w.add(PayloadType::sa, encode_proposals(sa.peer->ike_proposals, wire::ProtocolId::ike,
                                            storage.back(), sa.alg.ke, true));
    w.add(PayloadType::nonce, wire::NoncePayload{pc.nonce});
    w.add(PayloadType::ke,
          wire::KePayload{wire::KeGroup(pc.kex->info().id), pc.kex->public_value()});
    set_state(sa, IkeSaState::rekeying);
  } else {
    if (t.kind == RequestKind::rekey_child) {
      ChildSa* old = sa.find_child(t.child_spi);
      if (!old || old->rekeyed || old->deleting) return;
      pc.cfg = old->cfg;
      pc.old_spi_in = old->spi_in;
      pc.ts_i = old->local_ts;
      pc.ts_r = old->remote_ts;
      uint8_t spi[4];
      store_be32(spi, old->spi_in);
      storage.emplace_back(spi, spi + 4);
      add_notify(w, NotifyType::rekey_sa, {}, wire::ProtocolId::esp, storage.back());
    } else {
      auto cfg = std::make_shared<ChildConfig>(*t.child);
      config_payload::apply_virtual_ips(sa, *cfg); // config_payload.cpp
      pc.cfg = cfg;
      pc.ts_i = default_ts(cfg->local_ts, sa.local.address);
      pc.ts_r = default_ts(cfg->remote_ts, sa.remote.address);
    }
    pc.ke_retries = t.ke_retries;
    if (const auto* g = t.ke ? t.ke : pfs_group(*pc.cfg)) {
      auto kex = crypto::KeyExchange::generate(*g, rng);
      if (!kex) return;
      pc.kex = std::move(*kex);
    }
    pc.spi_in = new_child_spi(sa);
    write_child_request(w, *pc.cfg, pc.spi_in, pc.ts_i, pc.ts_r, pc.kex ? &*pc.kex : nullptr,
                        pc.nonce, storage);
  }
  auto n = w.finish();
  if (!n) return;
  auto d = seal(sa, ExchangeType::create_child_sa, false, sa.msg_id_out, ByteView(inner).first(*n),
                w.first_type());
  if (!d) return;
  uint32_t child_spi = pc.old_spi_in;
  sa.pending = std::move(pc);
  send_request(sa, t.kind, ExchangeType::create_child_sa, std::move(*d), child_spi);
}

void Engine::Impl::on_create_child_request(IkeSa& sa, Inbound& in) {
  // RFC 7296 2.25 / 2.8.2: nothing new on an IKE SA we are closing (sa_state.cpp lets
  // this run only when established or rekeying), an old, rekeyed one included, whether or
  // not its Delete went out yet.
  if (sa.silent) return send_error_notify_response(sa, in.hdr, NotifyType::temporary_failure);
  const wire::RawPayload* sa_raw = in.find(PayloadType::sa);
  const wire::RawPayload* n_raw = in.find(PayloadType::nonce);
  auto offered = wire::parse_sa(sa_raw->body);
  auto ni = wire::parse_nonce(n_raw->body);
  if (!offered || !ni || offered->proposals.empty())
    return send_error_notify_response(sa, in.hdr, NotifyType::invalid_syntax);
  if (auto why = nonce_too_short(ni->data, *sa.alg.prf)) { // the PRF of KEYMAT and SKEYSEED
    drop(DropReason::malformed, "CREATE_CHILD_SA request: " + *why);
    return send_error_notify_response(sa, in.hdr, NotifyType::invalid_syntax);
  }
  std::optional<wire::KePayload> ke;
  if (const auto* k = in.find(PayloadType::ke))
    if (auto p = wire::parse_ke(k->body)) ke = *p;
  const crypto::TransformInfo* hint =
      ke ? crypto::find_transform(TransformKind::ke, uint16_t(ke->group)) : nullptr;
  // --- Rekey of the IKE SA (1.3.2): ike_rekey.cpp
  if (offered->proposals[0].protocol == wire::ProtocolId::ike)
    return answer_ike_rekey(sa, in, &*offered, &*ni, ke, hint);

  Bytes nr = random_bytes(kNonceSize);
  std::vector<Bytes> storage;
  storage.reserve(32);
  Bytes inner(8192);
  wire::PayloadWriter w(inner);

  // --- New or rekeyed Child SA (1.3.1, 1.3.3)
  ChildSa* old = nullptr;
  if (const auto* rk = in.notify(NotifyType::rekey_sa)) {
    if (rk->spi.size() != 4 || !(old = sa.find_child_out(load_be32(rk->spi.data()))))
      return send_error_notify_response(sa, in.hdr, NotifyType::child_sa_not_found, {},
                                        wire::ProtocolId::esp,
                                        rk->spi.size() == 4 ? rk->spi : ByteView{});
  }
  std::shared_ptr<const ChildConfig> cfg = old ? old->cfg : connection_child(sa);
  if (!old && !sa.cp().vips.empty()) {
    auto narrowed = std::make_shared<ChildConfig>(*cfg);
    config_payload::apply_virtual_ips(sa, *narrowed); // config_payload.cpp
    cfg = std::move(narrowed);
  }
  uint32_t old_spi_in = old ? old->spi_in : 0;
  ChildAnswer a = answer_child(sa, in, cfg, wire::ExchangeType::create_child_sa, false, hint);
  if (!a.child) {
    if (a.failure) {
      ++stats.failures;
      emit(std::move(*a.failure));
    }
    return send_error_notify_response(sa, in.hdr, a.error);
  }
  std::optional<crypto::KeyExchange> kex;
  SecretBytes g_ir;
  if (a.child->alg.ke) {
    if (!ke || a.child->alg.ke != hint)
      return send_invalid_ke_response(sa, in.hdr, *a.child->alg.ke);
    auto k = crypto::KeyExchange::generate(*a.child->alg.ke, rng);
    if (!k) return send_error_notify_response(sa, in.hdr, NotifyType::temporary_failure);
    auto s = k->shared_secret(ke->data);
    if (!s) return send_error_notify_response(sa, in.hdr, NotifyType::invalid_syntax);
    g_ir = std::move(*s);
    kex = std::move(*k);
  }
  write_child_answer(w, *a.child, kex ? &*kex : nullptr, nr, storage);
  auto n = w.finish();
  if (!n) return;
  auto d = seal(sa, ExchangeType::create_child_sa, true, in.hdr.message_id,
                ByteView(inner).first(*n), w.first_type());
  if (!d) return;
  send_response(sa, std::move(*d));
  uint32_t new_spi_in = a.child->spi_in;
  uint32_t new_spi_out = a.child->spi_out;
  Bytes peer_ni(ni->data.begin(), ni->data.end());
  install_child(sa, std::move(*a.child), false, g_ir.reveal(), peer_ni, nr,
                old_spi_in ? std::optional<uint32_t>(old_spi_in) : std::nullopt);
  if (old_spi_in) {
    ChildSa* o = sa.find_child(old_spi_in);
    if (!o) return;
    emit(ChildSaRekeyed{sa.id, sa.peer_name(), o->name(), o->spi_in, o->spi_out, new_spi_in,
                        new_spi_out});
    // 2.8.1: our own rekey of the same SA is in flight: remember this exchange's nonces.
    if (sa.pending && sa.pending->kind == RequestKind::rekey_child &&
        sa.pending->old_spi_in == old_spi_in)
      o->peer_rekey = RekeyRecord{peer_ni, nr, new_spi_in};
    else
      o->rekeyed = true; // the peer (initiator of the rekey) deletes it
  }
}

void Engine::Impl::on_create_child_response(IkeSa& sa, Inbound& in) {
  if (!sa.pending) {
    request_done(sa);
    return;
  }
  PendingCreate pc = std::move(*sa.pending);
  sa.pending.reset();
  const wire::RawPayload* n_raw = in.find(PayloadType::nonce);
  std::optional<wire::KePayload> ke;
  if (const auto* k = in.find(PayloadType::ke))
    if (auto p = wire::parse_ke(k->body)) ke = *p;

  if (pc.kind == RequestKind::rekey_ike) return on_ike_rekey_response(sa, in, pc, n_raw, ke);

  ChildSa* old = pc.old_spi_in ? sa.find_child(pc.old_spi_in) : nullptr;
  auto r = accept_child_answer(sa, in, pc.cfg, pc.spi_in, pc.ts_i, pc.ts_r,
                               wire::ExchangeType::create_child_sa, false);
  auto* c = std::get_if<ChildSa>(&r);
  SecretBytes g_ir;
  if (c && pc.kex) {
    if (!ke || uint16_t(ke->group) != pc.kex->info().id) {
      r = failure(sa, wire::ExchangeType::create_child_sa, FailureStep::ke,
                  "responder sent no matching KE payload for PFS");
    } else if (auto s = pc.kex->shared_secret(ke->data)) {
      g_ir = std::move(*s);
    } else {
      r = failure(sa, wire::ExchangeType::create_child_sa, FailureStep::ke, s.error().message);
    }
  }
  auto nr = n_raw ? wire::parse_nonce(n_raw->body)
                  : Result<wire::NoncePayload>(make_error(Errc::bad_value, "nonce", ""));
  c = std::get_if<ChildSa>(&r);
  if (c && !nr)
    r = failure(sa, wire::ExchangeType::create_child_sa, FailureStep::proposal,
                "no nonce in the answer");
  if (c && nr)
    if (auto why = nonce_too_short(nr->data, *sa.alg.prf))
      r = failure(sa, wire::ExchangeType::create_child_sa, FailureStep::proposal,
                  "responder's " + *why);
  c = std::get_if<ChildSa>(&r);
  if (!c) {
    // RFC 7296 1.3: with PFS the responder may ask for another group; retry once with it.
    if (const auto* e = in.notify(NotifyType::invalid_ke_payload);
        e && pc.kex && pc.ke_retries == 0 && e->data.size() == 2) {
      const auto* g = crypto::find_transform(TransformKind::ke, load_be16(e->data.data()));
      bool allowed = false;
      for (const auto& prop : pc.cfg->esp_proposals)
        for (const auto* k : prop.ke)
          allowed = allowed || k == g;
      if (g && allowed && g != &pc.kex->info()) {
        Task retry{pc.kind, pc.old_spi_in, *pc.cfg, g, 1};
        sa.out.reset();
        ++sa.msg_id_out;
        sa.tasks.push_front(std::move(retry));
        return run_tasks(sa);
      }
    }
    ++stats.failures;
    Failure f = std::get<Failure>(std::move(r));
    if (old) {
      f.reason = "rekey of Child SA " + std::to_string(pc.old_spi_in) + ": " + f.reason;
      if (!old->expire_at) old->rekey_at.reset();
    }
    emit(std::move(f));
    if (in.find(PayloadType::sa)) { // the responder installed what we refuse
      Task del{RequestKind::delete_child, pc.spi_in};
      del.orphan = true;
      sa.tasks.push_back(std::move(del));
    }
    return request_done(sa);
  }
  Bytes nr_bytes(nr->data.begin(), nr->data.end());
  uint32_t new_in = c->spi_in, new_out = c->spi_out;
  install_child(sa, std::move(*c), true, g_ir.reveal(), pc.nonce, nr_bytes,
                pc.old_spi_in ? std::optional<uint32_t>(pc.old_spi_in) : std::nullopt);
  old = pc.old_spi_in ? sa.find_child(pc.old_spi_in) : nullptr;
  if (old) {
    emit(ChildSaRekeyed{sa.id, sa.peer_name(), old->name(), old->spi_in, old->spi_out, new_in,
                        new_out});
    old->rekeyed = true;
    if (old->peer_rekey &&
        first_pair_has_lowest(pc.nonce, nr_bytes, old->peer_rekey->ni, old->peer_rekey->nr)) {
      // 2.8.1: our exchange has the lowest nonce: we lose and delete what we created;
      // the peer deletes the old SA.
      sa.out.reset();
      ++sa.msg_id_out;
      queue_task(sa, Task{RequestKind::delete_child, new_in});
      return;
    }
    sa.out.reset();
    ++sa.msg_id_out;
    queue_task(sa, Task{RequestKind::delete_child, pc.old_spi_in});
    return;
  }
  request_done(sa);
}

} // namespace ikekit::ike
