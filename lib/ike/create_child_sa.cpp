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
#include "ike/engine_impl.hpp"
#include "ike/ts.hpp"

#include <algorithm>
#include <cstring>

namespace ikekit::ike {

using crypto::TransformKind;
using wire::ExchangeType;
using wire::NotifyType;
using wire::PayloadType;

namespace {

bool less_bytes(ByteView a, ByteView b) {
  return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end());
}

// RFC 7296 2.8.1: is the lowest of the four nonces one of the first pair?
bool first_pair_has_lowest(ByteView a1, ByteView a2, ByteView b1, ByteView b2) {
  ByteView a = less_bytes(a1, a2) ? a1 : a2;
  ByteView b = less_bytes(b1, b2) ? b1 : b2;
  return less_bytes(a, b);
}

// A new IKE SA that lost a simultaneous rekey (2.8.1): silent, no Child SAs; it lives to
// send or answer its Delete, or goes away by itself after one retransmission span.
IkeSa& add_redundant_ike_sa(Engine::Impl& e, const IkeSa& sa, uint64_t spi_i, uint64_t spi_r,
                            bool initiator, const Chosen& alg, IkeKeys keys) {
  auto r = std::make_unique<IkeSa>();
  IkeSa& x = *r;
  x.id = e.next_sa_id++;
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
  x.alg = alg;
  x.keys = std::move(keys);
  auto ci =
      crypto::SkCrypter::create(*alg.encr, x.keys.sk_ei.reveal(), alg.integ, x.keys.sk_ai.reveal());
  auto cr =
      crypto::SkCrypter::create(*alg.encr, x.keys.sk_er.reveal(), alg.integ, x.keys.sk_ar.reveal());
  if (ci && cr) {
    x.crypt_out = std::move(initiator ? *ci : *cr);
    x.crypt_in = std::move(initiator ? *cr : *ci);
  }
  x.peer_fragmentation = sa.peer_fragmentation;
  x.authenticated = true;
  x.silent = true;
  x.created_at = x.last_received = e.now;
  x.expire_at = e.now + e.retransmit_span();
  e.emit_ike_keys(x); // so that a key log decrypts its Delete
  e.sas.emplace(x.id, std::move(r));
  e.index_sa(x);
  return x;
}

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
      pc.cfg = *t.child;
      pc.ts_i = default_ts(pc.cfg.local_ts, sa.local.address);
      pc.ts_r = default_ts(pc.cfg.remote_ts, sa.remote.address);
    }
    pc.ke_retries = t.ke_retries;
    if (const auto* g = t.ke ? t.ke : pfs_group(pc.cfg)) {
      auto kex = crypto::KeyExchange::generate(*g, rng);
      if (!kex) return;
      pc.kex = std::move(*kex);
    }
    pc.spi_in = new_child_spi(sa);
    write_child_request(w, pc.cfg, pc.spi_in, pc.ts_i, pc.ts_r, pc.kex ? &*pc.kex : nullptr,
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
  // RFC 7296 2.25 / 2.8.2: nothing new on an IKE SA we are closing (an old, rekeyed one
  // included, whether or not its Delete went out yet).
  if ((sa.state != IkeSaState::established && sa.state != IkeSaState::rekeying) || sa.silent)
    return send_error_notify_response(sa, in.hdr, NotifyType::temporary_failure);
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
  Bytes nr = random_bytes(kNonceSize);
  std::vector<Bytes> storage;
  storage.reserve(32);
  Bytes inner(8192);
  wire::PayloadWriter w(inner);

  // --- Rekey of the IKE SA (1.3.2)
  if (offered->proposals[0].protocol == wire::ProtocolId::ike) {
    if (sa.peer_ike_rekey) // the peer rekeys it a second time: one at a time
      return send_error_notify_response(sa, in.hdr, NotifyType::temporary_failure);
    auto chosen = select_proposal(sa.peer->ike_proposals, *offered, wire::ProtocolId::ike, hint);
    if (!chosen || chosen->spi.size() != 8) {
      Failure f = failure(sa, "create_child_sa", "proposal",
                          "no IKE proposal in common for the IKE SA rekey");
      f.offered = proposal_strings(*offered);
      f.configured = proposal_strings(sa.peer->ike_proposals);
      ++stats.failures;
      emit(std::move(f));
      return send_error_notify_response(sa, in.hdr, NotifyType::no_proposal_chosen);
    }
    if (nonce_too_short(ni->data, *chosen->prf))
      return send_error_notify_response(sa, in.hdr, NotifyType::invalid_syntax);
    if (!ke || chosen->ke != hint) {
      uint8_t g[2];
      store_be16(g, chosen->ke->id);
      Bytes d(64);
      wire::PayloadWriter ew(d);
      add_notify(ew, NotifyType::invalid_ke_payload, ByteView(g, 2));
      auto n = ew.finish();
      if (n)
        if (auto s = seal(sa, ExchangeType::create_child_sa, true, in.hdr.message_id,
                          ByteView(d).first(*n), ew.first_type()))
          send_response(sa, std::move(*s));
      return;
    }
    auto kex = crypto::KeyExchange::generate(*chosen->ke, rng);
    if (!kex) return send_error_notify_response(sa, in.hdr, NotifyType::temporary_failure);
    auto g_ir = kex->shared_secret(ke->data);
    if (!g_ir) return send_error_notify_response(sa, in.hdr, NotifyType::invalid_syntax);
    uint64_t new_spi_i = load_be64(chosen->spi.data());
    uint64_t new_spi_r = new_ike_spi();
    IkeTransforms t{chosen->encr, chosen->integ, chosen->prf};
    auto keys = derive_rekeyed_ike_keys(*sa.alg.prf, sa.keys.sk_d, t, g_ir->reveal(), ni->data, nr,
                                        new_spi_i, new_spi_r);
    if (!keys) return send_error_notify_response(sa, in.hdr, NotifyType::temporary_failure);
    storage.emplace_back(8);
    store_be64(storage.back().data(), new_spi_r);
    w.add(PayloadType::sa, encode_chosen(*chosen, wire::ProtocolId::ike, storage.back()));
    w.add(PayloadType::nonce, wire::NoncePayload{nr});
    w.add(PayloadType::ke, wire::KePayload{wire::KeGroup(kex->info().id), kex->public_value()});
    auto n = w.finish();
    if (!n) return;
    auto d = seal(sa, ExchangeType::create_child_sa, true, in.hdr.message_id,
                  ByteView(inner).first(*n), w.first_type());
    if (!d) return;
    send_response(sa, std::move(*d));
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
    split_rekeyed_ike_sa(sa, new_spi_i, new_spi_r, false, *chosen, std::move(*keys));
    return;
  }

  // --- New or rekeyed Child SA (1.3.1, 1.3.3)
  ChildSa* old = nullptr;
  if (const auto* rk = in.notify(NotifyType::rekey_sa)) {
    if (rk->spi.size() != 4 || !(old = sa.find_child_out(load_be32(rk->spi.data())))) {
      Bytes d(64);
      wire::PayloadWriter ew(d);
      add_notify(ew, NotifyType::child_sa_not_found, {}, wire::ProtocolId::esp,
                 rk->spi.size() == 4 ? rk->spi : ByteView{});
      auto n = ew.finish();
      if (n)
        if (auto s = seal(sa, ExchangeType::create_child_sa, true, in.hdr.message_id,
                          ByteView(d).first(*n), ew.first_type()))
          send_response(sa, std::move(*s));
      return;
    }
  }
  const ChildConfig cfg = old ? old->cfg : sa.peer->child;
  uint32_t old_spi_in = old ? old->spi_in : 0;
  ChildAnswer a = answer_child(sa, in, cfg, "create_child_sa", false, hint);
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
    if (!ke || a.child->alg.ke != hint) {
      uint8_t g[2];
      store_be16(g, a.child->alg.ke->id);
      Bytes d(64);
      wire::PayloadWriter ew(d);
      add_notify(ew, NotifyType::invalid_ke_payload, ByteView(g, 2));
      auto n = ew.finish();
      if (n)
        if (auto s = seal(sa, ExchangeType::create_child_sa, true, in.hdr.message_id,
                          ByteView(d).first(*n), ew.first_type()))
          send_response(sa, std::move(*s));
      return;
    }
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
    emit(ChildSaRekeyed{sa.id, o->name, o->spi_in, o->spi_out, new_spi_in, new_spi_out});
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

  if (pc.kind == RequestKind::rekey_ike) {
    set_state(sa, IkeSaState::established);
    std::optional<IkeRekeyRecord> theirs = std::move(sa.peer_ike_rekey);
    sa.peer_ike_rekey.reset();
    // 2.8.2: our rekey did not produce an SA, but we answered the peer's: that one takes
    // over, and its initiator deletes the old IKE SA.
    auto adopt_theirs = [&] {
      split_rekeyed_ike_sa(sa, theirs->spi_i, theirs->spi_r, false, theirs->alg,
                           std::move(theirs->keys));
    };
    const wire::NotifyPayload* e = in.error_notify();
    auto sa_raw = in.find(PayloadType::sa);
    auto answer = sa_raw ? wire::parse_sa(sa_raw->body)
                         : Result<wire::SaPayload>(make_error(Errc::bad_value, "sa", ""));
    std::optional<Chosen> chosen;
    if (answer) chosen = check_chosen(sa.peer->ike_proposals, *answer, wire::ProtocolId::ike);
    auto nr = n_raw ? wire::parse_nonce(n_raw->body)
                    : Result<wire::NoncePayload>(make_error(Errc::bad_value, "nonce", ""));
    if (e || !chosen || chosen->spi.size() != 8 || !ke || !nr || chosen->ke != &pc.kex->info() ||
        nonce_too_short(nr->data, *sa.alg.prf) || nonce_too_short(nr->data, *chosen->prf)) {
      if (theirs) {
        sa.out.reset();
        ++sa.msg_id_out;
        adopt_theirs();
        if (e && e->type == NotifyType::temporary_failure) return;
      } else {
        request_done(sa);
      }
      if (!theirs && e && e->type == NotifyType::temporary_failure) {
        // 2.8.2 (simplified): retry after a random 1-5 s.
        Bytes r = random_bytes(1);
        sa.rekey_at = now + std::chrono::milliseconds(1000 + 16 * r[0]);
        return;
      }
      Failure f =
          failure(sa, "create_child_sa", "proposal",
                  e ? "IKE SA rekey refused: " + std::string(wire::notify_type_name(e->type))
                    : "IKE SA rekey answer unacceptable");
      f.from_peer = e != nullptr;
      if (e) f.notify = e->type;
      f.offered = proposal_strings(sa.peer->ike_proposals);
      ++stats.failures;
      emit(std::move(f));
      return;
    }
    auto g_ir = pc.kex->shared_secret(ke->data);
    uint64_t new_spi_r = load_be64(chosen->spi.data());
    IkeTransforms t{chosen->encr, chosen->integ, chosen->prf};
    Result<IkeKeys> keys =
        g_ir ? derive_rekeyed_ike_keys(*sa.alg.prf, sa.keys.sk_d, t, g_ir->reveal(), pc.nonce,
                                       nr->data, pc.new_spi, new_spi_r)
             : Result<IkeKeys>(g_ir.error());
    sa.out.reset();
    ++sa.msg_id_out;
    if (!keys) {
      emit(failure(sa, "create_child_sa", "ke", keys.error().message));
      if (theirs) return adopt_theirs();
      return run_tasks(sa);
    }
    if (theirs && first_pair_has_lowest(pc.nonce, nr->data, theirs->ni, theirs->nr)) {
      // 2.8.1: our new IKE SA holds the lowest nonce: we close it; the peer's survives and
      // the peer, its initiator, deletes the old one.
      split_rekeyed_ike_sa(sa, theirs->spi_i, theirs->spi_r, false, theirs->alg,
                           std::move(theirs->keys));
      IkeSa& ours =
          add_redundant_ike_sa(*this, sa, pc.new_spi, new_spi_r, true, *chosen, std::move(*keys));
      queue_task(ours, Task{RequestKind::delete_ike});
      return;
    }
    IkeSa& old = split_rekeyed_ike_sa(sa, pc.new_spi, new_spi_r, true, *chosen, std::move(*keys));
    // 2.8.1: the peer's new IKE SA, if any, is redundant: the peer deletes it; we answer.
    if (theirs)
      add_redundant_ike_sa(*this, sa, theirs->spi_i, theirs->spi_r, false, theirs->alg,
                           std::move(theirs->keys));
    queue_task(old, Task{RequestKind::delete_ike});
    return;
  }

  ChildSa* old = pc.old_spi_in ? sa.find_child(pc.old_spi_in) : nullptr;
  auto r =
      accept_child_answer(sa, in, pc.cfg, pc.spi_in, pc.ts_i, pc.ts_r, "create_child_sa", false);
  auto* c = std::get_if<ChildSa>(&r);
  SecretBytes g_ir;
  if (c && pc.kex) {
    if (!ke || uint16_t(ke->group) != pc.kex->info().id) {
      r = failure(sa, "create_child_sa", "ke", "responder sent no matching KE payload for PFS");
    } else if (auto s = pc.kex->shared_secret(ke->data)) {
      g_ir = std::move(*s);
    } else {
      r = failure(sa, "create_child_sa", "ke", s.error().message);
    }
  }
  auto nr = n_raw ? wire::parse_nonce(n_raw->body)
                  : Result<wire::NoncePayload>(make_error(Errc::bad_value, "nonce", ""));
  c = std::get_if<ChildSa>(&r);
  if (c && !nr) r = failure(sa, "create_child_sa", "proposal", "no nonce in the answer");
  if (c && nr)
    if (auto why = nonce_too_short(nr->data, *sa.alg.prf))
      r = failure(sa, "create_child_sa", "proposal", "responder's " + *why);
  c = std::get_if<ChildSa>(&r);
  if (!c) {
    // RFC 7296 1.3: with PFS the responder may ask for another group; retry once with it.
    if (const auto* e = in.notify(NotifyType::invalid_ke_payload);
        e && pc.kex && pc.ke_retries == 0 && e->data.size() == 2) {
      const auto* g = crypto::find_transform(TransformKind::ke, load_be16(e->data.data()));
      bool allowed = false;
      for (const auto& prop : pc.cfg.esp_proposals)
        for (const auto* k : prop.ke)
          allowed = allowed || k == g;
      if (g && allowed && g != &pc.kex->info()) {
        Task retry{pc.kind, pc.old_spi_in, pc.cfg, g, 1};
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
    emit(ChildSaRekeyed{sa.id, old->name, old->spi_in, old->spi_out, new_in, new_out});
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

void Engine::Impl::adopt_peer_ike_rekey(IkeSa& sa) {
  IkeRekeyRecord theirs = std::move(*sa.peer_ike_rekey);
  sa.peer_ike_rekey.reset();
  sa.pending.reset(); // our own rekey request is forgotten with the old IKE SA
  IkeSa& old = split_rekeyed_ike_sa(sa, theirs.spi_i, theirs.spi_r, false, theirs.alg,
                                    std::move(theirs.keys));
  remove_sa(old, "deleted by peer");
}

IkeSa& Engine::Impl::split_rekeyed_ike_sa(IkeSa& sa, uint64_t new_spi_i, uint64_t new_spi_r,
                                          bool we_initiated, const Chosen& alg, IkeKeys keys) {
  // The old SA keeps its SPIs, keys, message IDs and response cache under a new internal
  // id, silently; `sa` (same SaId) continues with the new ones.
  auto old = std::make_unique<IkeSa>();
  IkeSa& o = *old;
  o.id = next_sa_id++;
  o.peer = sa.peer;
  o.initiator = sa.initiator;
  o.state = IkeSaState::established;
  o.spi_i = sa.spi_i;
  o.spi_r = sa.spi_r;
  o.local = sa.local;
  o.remote = sa.remote;
  o.nat_t = sa.nat_t;
  o.alg = sa.alg;
  o.keys = std::move(sa.keys);
  o.crypt_in = std::move(sa.crypt_in);
  o.crypt_out = std::move(sa.crypt_out);
  o.peer_fragmentation = sa.peer_fragmentation;
  o.msg_id_in = sa.msg_id_in;
  o.msg_id_out = sa.msg_id_out;
  o.last_response = std::move(sa.last_response);
  o.have_last_response = sa.have_last_response;
  o.answered = sa.answered;
  o.authenticated = true;
  o.silent = true;
  o.created_at = o.last_received = now;
  // The old SA goes away by itself if the peer's Delete never comes.
  o.expire_at = now + retransmit_span();

  IkeSaRekeyed ev{sa.id, sa.spi_i, sa.spi_r, new_spi_i, new_spi_r};
  // RFC 7296 2.18: the initiator of the rekey is the initiator of the new IKE SA.
  sa.initiator = we_initiated;
  sa.spi_i = new_spi_i;
  sa.spi_r = new_spi_r;
  sa.alg = alg;
  sa.keys = std::move(keys);
  sa.msg_id_in = sa.msg_id_out = 0;
  sa.have_last_response = false;
  sa.last_response.clear();
  sa.out.reset();
  sa.reassembly[0].reset();
  sa.reassembly[1].reset();
  set_state(sa, IkeSaState::established);
  auto ci = crypto::SkCrypter::create(*alg.encr, sa.keys.sk_ei.reveal(), alg.integ,
                                      sa.keys.sk_ai.reveal());
  auto cr = crypto::SkCrypter::create(*alg.encr, sa.keys.sk_er.reveal(), alg.integ,
                                      sa.keys.sk_ar.reveal());
  if (ci && cr) {
    sa.crypt_out = std::move(we_initiated ? *ci : *cr);
    sa.crypt_in = std::move(we_initiated ? *cr : *ci);
  }
  schedule_timers(sa);
  emit(ev);
  emit_ike_keys(sa);
  sas.emplace(o.id, std::move(old));
  index_sa(o);  // the old SPIs now lead to the silent entry,
  index_sa(sa); // the new ones to the SA
  run_tasks(sa);
  return o;
}

} // namespace ikekit::ike
