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
#include "create_child_sa.hpp"

#include "config_payload.hpp"
#include "ike/ts.hpp"
#include "ike_rekey.hpp"

namespace ikekit::ike::create_child_sa {

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

std::optional<wire::KePayload> find_ke(const Inbound& in) {
  if (const auto* k = in.find(PayloadType::ke))
    if (auto p = wire::parse_ke(k->body)) return *p;
  return std::nullopt;
}

// Initiator (1.3.1, 1.3.3): [N(REKEY_SA)], SA, Ni, [KEi], TSi, TSr into `w`; false when
// the task has nothing left to do (the Child SA went meanwhile) or no KE could be made.
bool write_child_sa_request(EngineContext& cx, IkeSa& sa, const Task& t, PendingCreate& pc,
                            wire::PayloadWriter& w, std::vector<Bytes>& storage) {
  if (t.kind == RequestKind::rekey_child) {
    ChildSa* old = sa.find_child(t.child_spi);
    if (!old || old->rekeyed || old->deleting) return false;
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
    pc.ts_i = cx.default_ts(cfg->local_ts, sa.local.address);
    pc.ts_r = cx.default_ts(cfg->remote_ts, sa.remote.address);
  }
  pc.ke_retries = t.ke_retries;
  if (const auto* g = t.ke ? t.ke : pfs_group(*pc.cfg)) {
    auto kex = crypto::KeyExchange::generate(*g, cx.rng);
    if (!kex) return false;
    pc.kex = std::move(*kex);
  }
  pc.spi_in = cx.new_child_spi(sa);
  cx.write_child_request(w, *pc.cfg, pc.spi_in, pc.ts_i, pc.ts_r, pc.kex ? &*pc.kex : nullptr,
                         pc.nonce, storage);
  return true;
}

} // namespace

void start(EngineContext& cx, IkeSa& sa, const Task& t) {
  PendingCreate pc;
  pc.kind = t.kind;
  pc.nonce = cx.random_bytes(kNonceSize);
  std::vector<Bytes> storage;
  storage.reserve(32);
  Bytes inner(8192);
  wire::PayloadWriter w(inner);
  if (t.kind == RequestKind::rekey_ike) {
    if (sa.state != IkeSaState::established || !ike_rekey::write_request(cx, sa, pc, w, storage))
      return;
  } else if (!write_child_sa_request(cx, sa, t, pc, w, storage)) {
    return;
  }
  auto d = cx.seal(sa, ExchangeType::create_child_sa, false, sa.msg_id_out, w, inner);
  if (!d) return;
  uint32_t child_spi = pc.old_spi_in;
  sa.pending = std::move(pc);
  cx.send_request(sa, t.kind, ExchangeType::create_child_sa, std::move(*d), child_spi);
}

namespace {

// What a CREATE_CHILD_SA request offers: SA, Ni, [KEi] and the group of KEi.
struct ChildRequest {
  wire::SaPayload offered;
  wire::NoncePayload ni;
  std::optional<wire::KePayload> ke;
  const crypto::TransformInfo* hint = nullptr;
};

// INVALID_SYNTAX (answered) when SA or Ni is malformed or Ni too short.
std::optional<ChildRequest> parse_request(EngineContext& cx, IkeSa& sa, const Inbound& in) {
  auto offered = wire::parse_sa(in.find(PayloadType::sa)->body);
  auto ni = wire::parse_nonce(in.find(PayloadType::nonce)->body);
  if (!offered || !ni || offered->proposals.empty()) {
    cx.send_error_notify_response(sa, in.hdr, NotifyType::invalid_syntax);
    return std::nullopt;
  }
  if (auto why = nonce_too_short(ni->data, *sa.alg.prf)) { // the PRF of KEYMAT and SKEYSEED
    cx.drop(DropReason::malformed, "CREATE_CHILD_SA request: " + *why);
    cx.send_error_notify_response(sa, in.hdr, NotifyType::invalid_syntax);
    return std::nullopt;
  }
  ChildRequest r{std::move(*offered), *ni, find_ke(in), nullptr};
  if (r.ke) r.hint = crypto::find_transform(TransformKind::ke, uint16_t(r.ke->group));
  return r;
}

// 1.3.3: the Child SA that N(REKEY_SA) names by the peer's inbound SPI (our outbound);
// null for a new Child SA. False when there is none (CHILD_SA_NOT_FOUND answered).
bool find_rekeyed_child(EngineContext& cx, IkeSa& sa, const Inbound& in, ChildSa*& old) {
  const auto* rk = in.notify(NotifyType::rekey_sa);
  if (!rk) return true;
  if (rk->spi.size() == 4 && (old = sa.find_child_out(load_be32(rk->spi.data())))) return true;
  cx.send_error_notify_response(sa, in.hdr, NotifyType::child_sa_not_found, {},
                                wire::ProtocolId::esp, rk->spi.size() == 4 ? rk->spi : ByteView{});
  return false;
}

// A rekey keeps the old Child SA's configuration; a new Child SA takes the
// connection's, narrowed to the IKE SA's virtual IPs (2.19).
std::shared_ptr<const ChildConfig> child_config_for(const IkeSa& sa, const ChildSa* old) {
  std::shared_ptr<const ChildConfig> cfg = old ? old->cfg : connection_child(sa);
  if (!old && !sa.cp().vips.empty()) {
    auto narrowed = std::make_shared<ChildConfig>(*cfg);
    config_payload::apply_virtual_ips(sa, *narrowed); // config_payload.cpp
    cfg = std::move(narrowed);
  }
  return cfg;
}

// PFS (1.3.1): when the chosen proposal has a KE, our KEr and g^ir; false when KEi is
// missing or of another group (INVALID_KE_PAYLOAD answered, 1.3) or fails.
bool exchange_child_keys(EngineContext& cx, IkeSa& sa, const wire::IkeHeader& h,
                         const ChildRequest& req, const ChildSa& child,
                         std::optional<crypto::KeyExchange>& kex, SecretBytes& g_ir) {
  if (!child.alg.ke) return true;
  if (!req.ke || child.alg.ke != req.hint) {
    cx.send_invalid_ke_response(sa, h, *child.alg.ke);
    return false;
  }
  auto k = crypto::KeyExchange::generate(*child.alg.ke, cx.rng);
  if (!k) {
    cx.send_error_notify_response(sa, h, NotifyType::temporary_failure);
    return false;
  }
  auto secret = k->shared_secret(req.ke->data);
  if (!secret) {
    cx.send_error_notify_response(sa, h, NotifyType::invalid_syntax);
    return false;
  }
  g_ir = std::move(*secret);
  kex = std::move(*k);
  return true;
}

// HDR, SK {SA, Nr, [KEr], TSi, TSr}; false when it could not be written or sealed.
bool send_answer(EngineContext& cx, IkeSa& sa, const wire::IkeHeader& h, const ChildSa& child,
                 const std::optional<crypto::KeyExchange>& kex, const Bytes& nr) {
  std::vector<Bytes> storage;
  storage.reserve(32);
  Bytes inner(8192);
  wire::PayloadWriter w(inner);
  cx.write_child_answer(w, child, kex ? &*kex : nullptr, nr, storage);
  return bool(cx.answer(sa, ExchangeType::create_child_sa, h.message_id, w, inner));
}

// Responder of a Child SA rekey, its answer sent: the peer deletes the old SA (2.8),
// unless our own rekey of it is in flight (2.8.1: the nonces decide at its response).
void note_peer_rekey(EngineContext& cx, IkeSa& sa, uint32_t old_spi_in, uint32_t new_spi_in,
                     uint32_t new_spi_out, const Bytes& peer_ni, const Bytes& nr) {
  ChildSa* o = sa.find_child(old_spi_in);
  if (!o) return;
  cx.emit(ChildSaRekeyed{sa.id, sa.peer_name(), o->name(), o->spi_in, o->spi_out, new_spi_in,
                         new_spi_out});
  if (sa.pending && sa.pending->kind == RequestKind::rekey_child &&
      sa.pending->old_spi_in == old_spi_in)
    o->peer_rekey = RekeyRecord{peer_ni, nr, new_spi_in};
  else
    o->rekeyed = true; // the peer (initiator of the rekey) deletes it
}

} // namespace

void process_request(EngineContext& cx, IkeSa& sa, Inbound& in) {
  // RFC 7296 2.25 / 2.8.2: nothing new on an IKE SA we are closing (sa_state.cpp lets
  // this run only when established or rekeying), an old, rekeyed one included, whether or
  // not its Delete went out yet.
  if (sa.silent) return cx.send_error_notify_response(sa, in.hdr, NotifyType::temporary_failure);
  auto req = parse_request(cx, sa, in);
  if (!req) return;
  // --- Rekey of the IKE SA (1.3.2): ike_rekey.cpp
  if (req->offered.proposals[0].protocol == wire::ProtocolId::ike)
    return ike_rekey::process_request(cx, sa, in, &req->offered, &req->ni, req->ke, req->hint);

  // --- New or rekeyed Child SA (1.3.1, 1.3.3)
  Bytes nr = cx.random_bytes(kNonceSize);
  ChildSa* old = nullptr;
  if (!find_rekeyed_child(cx, sa, in, old)) return;
  uint32_t old_spi_in = old ? old->spi_in : 0;
  EngineContext::ChildAnswer a = cx.answer_child(
      sa, in, child_config_for(sa, old), wire::ExchangeType::create_child_sa, false, req->hint);
  if (!a.child) {
    if (a.failure) {
      ++cx.stats.failures;
      cx.emit(std::move(*a.failure));
    }
    return cx.send_error_notify_response(sa, in.hdr, a.error);
  }
  std::optional<crypto::KeyExchange> kex;
  SecretBytes g_ir;
  if (!exchange_child_keys(cx, sa, in.hdr, *req, *a.child, kex, g_ir)) return;
  if (!send_answer(cx, sa, in.hdr, *a.child, kex, nr)) return;
  uint32_t new_spi_in = a.child->spi_in;
  uint32_t new_spi_out = a.child->spi_out;
  Bytes peer_ni(req->ni.data.begin(), req->ni.data.end());
  cx.install_child(sa, std::move(*a.child), false, g_ir.reveal(), peer_ni, nr,
                   old_spi_in ? std::optional<uint32_t>(old_spi_in) : std::nullopt);
  if (old_spi_in) note_peer_rekey(cx, sa, old_spi_in, new_spi_in, new_spi_out, peer_ni, nr);
}

namespace {

// Initiator: the responder's answer checked (SA and TS: accept_child_answer; KEr with
// PFS; Nr): the new Child SA, with g^ir and Nr, or why it is refused.
std::variant<ChildSa, Failure> check_answer(EngineContext& cx, IkeSa& sa, Inbound& in,
                                            const PendingCreate& pc, SecretBytes& g_ir,
                                            Bytes& nr_bytes) {
  const auto ke = find_ke(in);
  auto r = cx.accept_child_answer(sa, in, pc.cfg, pc.spi_in, pc.ts_i, pc.ts_r,
                                  wire::ExchangeType::create_child_sa, false);
  if (std::holds_alternative<ChildSa>(r) && pc.kex) {
    if (!ke || uint16_t(ke->group) != pc.kex->info().id) {
      r = cx.failure(sa, wire::ExchangeType::create_child_sa, FailureStep::ke,
                     "responder sent no matching KE payload for PFS");
    } else if (auto secret = pc.kex->shared_secret(ke->data)) {
      g_ir = std::move(*secret);
    } else {
      r = cx.failure(sa, wire::ExchangeType::create_child_sa, FailureStep::ke,
                     secret.error().message);
    }
  }
  const wire::RawPayload* n_raw = in.find(PayloadType::nonce);
  auto nr = n_raw ? wire::parse_nonce(n_raw->body)
                  : Result<wire::NoncePayload>(make_error(Errc::bad_value, "nonce", ""));
  if (!std::holds_alternative<ChildSa>(r)) return r;
  if (!nr)
    return cx.failure(sa, wire::ExchangeType::create_child_sa, FailureStep::proposal,
                      "no nonce in the answer");
  if (auto why = nonce_too_short(nr->data, *sa.alg.prf))
    return cx.failure(sa, wire::ExchangeType::create_child_sa, FailureStep::proposal,
                      "responder's " + *why);
  nr_bytes.assign(nr->data.begin(), nr->data.end());
  return r;
}

// RFC 7296 1.3: with PFS the responder may ask for another group; retry once with it.
// True when the request goes again.
bool retry_with_group(EngineContext& cx, IkeSa& sa, const Inbound& in, const PendingCreate& pc) {
  const auto* e = in.notify(NotifyType::invalid_ke_payload);
  if (!e || !pc.kex || pc.ke_retries != 0 || e->data.size() != 2) return false;
  const auto* g = crypto::find_transform(TransformKind::ke, load_be16(e->data.data()));
  bool allowed = false;
  for (const auto& prop : pc.cfg->esp_proposals)
    for (const auto* k : prop.ke)
      allowed = allowed || k == g;
  if (!g || !allowed || g == &pc.kex->info()) return false;
  Task retry{pc.kind, pc.old_spi_in, *pc.cfg, g, 1};
  sa.out.reset();
  ++sa.msg_id_out;
  sa.tasks.push_front(std::move(retry));
  cx.run_tasks(sa);
  return true;
}

// The answer is refused: Failure event; a rekeyed Child SA is not rekeyed again before
// it expires; a Child SA the responder installed anyway is deleted (orphan).
void refuse_answer(EngineContext& cx, IkeSa& sa, const Inbound& in, const PendingCreate& pc,
                   Failure f) {
  ++cx.stats.failures;
  if (ChildSa* old = pc.old_spi_in ? sa.find_child(pc.old_spi_in) : nullptr) {
    f.reason = "rekey of Child SA " + std::to_string(pc.old_spi_in) + ": " + f.reason;
    if (!old->expire_at) old->rekey_at.reset();
  }
  cx.emit(std::move(f));
  if (in.find(PayloadType::sa)) { // the responder installed what we refuse
    Task del{RequestKind::delete_child, pc.spi_in};
    del.orphan = true;
    sa.tasks.push_back(std::move(del));
  }
  cx.request_done(sa);
}

// Initiator of a Child SA rekey, the new one installed: we delete the old SA (2.8);
// if the peer rekeyed it at the same time and our exchange has the lowest nonce, we
// delete the one we created instead and the peer deletes the old one (2.8.1).
void finish_rekey(EngineContext& cx, IkeSa& sa, const PendingCreate& pc, ChildSa& old,
                  const Bytes& nr, uint32_t new_in, uint32_t new_out) {
  cx.emit(
      ChildSaRekeyed{sa.id, sa.peer_name(), old.name(), old.spi_in, old.spi_out, new_in, new_out});
  old.rekeyed = true;
  bool we_lose =
      old.peer_rekey && first_pair_has_lowest(pc.nonce, nr, old.peer_rekey->ni, old.peer_rekey->nr);
  sa.out.reset();
  ++sa.msg_id_out;
  cx.queue_task(sa, Task{RequestKind::delete_child, we_lose ? new_in : pc.old_spi_in});
}

} // namespace

void process_response(EngineContext& cx, IkeSa& sa, Inbound& in) {
  if (!sa.pending) return cx.request_done(sa);
  PendingCreate pc = std::move(*sa.pending);
  sa.pending.reset();
  if (pc.kind == RequestKind::rekey_ike)
    return ike_rekey::process_response(cx, sa, in, pc, in.find(PayloadType::nonce), find_ke(in));

  SecretBytes g_ir;
  Bytes nr;
  auto r = check_answer(cx, sa, in, pc, g_ir, nr);
  if (auto* f = std::get_if<Failure>(&r)) {
    if (retry_with_group(cx, sa, in, pc)) return;
    return refuse_answer(cx, sa, in, pc, std::move(*f));
  }
  ChildSa& c = std::get<ChildSa>(r);
  uint32_t new_in = c.spi_in, new_out = c.spi_out;
  cx.install_child(sa, std::move(c), true, g_ir.reveal(), pc.nonce, nr,
                   pc.old_spi_in ? std::optional<uint32_t>(pc.old_spi_in) : std::nullopt);
  if (ChildSa* old = pc.old_spi_in ? sa.find_child(pc.old_spi_in) : nullptr)
    return finish_rekey(cx, sa, pc, *old, nr, new_in, new_out);
  cx.request_done(sa);
}

} // namespace ikekit::ike::create_child_sa
