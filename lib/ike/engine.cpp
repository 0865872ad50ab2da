// The Engine facade, and the shared services of Engine::Impl: SA creation and removal,
// events, drops and failures. The receive path is receive.cpp, the state machine and
// timers sa_state.cpp, message IDs and retransmission transport.cpp.
#include "ike/engine.hpp"

#include "base/hex.hpp"
#include "exchange/config_payload.hpp"
#include "exchange/ike_auth_eap.hpp"
#include "exchange/ike_sa_init.hpp"
#include "exchange/mobike.hpp"
#include "ike/engine_impl.hpp"
#include "wire/rules.hpp"

#include <algorithm>

namespace ikekit::ike {

using wire::ExchangeType;
using wire::PayloadType;

Engine::Impl::Impl(Config c, Rng& r, TimePoint t) : config(std::move(c)), rng(r), now(t) {
  for (auto& p : config.peers)
    peers.push_back(std::make_shared<const PeerConfig>(p));
  admission = config.admission ? config.admission : std::make_shared<AdmissionState>(rng, now);
  table.nat_keepalive = config.nat_keepalive;
  table.set_shard(config.shard);
}

Engine::Impl::~Impl() {
  for (auto& [id, sa] : table.sas)
    if (sa->half_open_from) uncount_half_open(*sa);
}

Bytes Engine::Impl::random_bytes(size_t n) {
  Bytes b(n);
  rng.fill(b);
  return b;
}

std::shared_ptr<const PeerConfig> Engine::Impl::find_peer(std::string_view name) const {
  for (auto& p : peers)
    if (p->name == name) return p;
  return nullptr;
}

IkeSa& Engine::Impl::new_sa(std::shared_ptr<const PeerConfig> peer, bool initiator) {
  auto sa = std::make_unique<IkeSa>();
  sa->id = table.allocate_sa_id();
  sa->peer = std::move(peer);
  sa->initiator = initiator;
  sa->created_at = sa->last_received = now;
  sa->hs.emplace(); // freed when IKE_AUTH completes (release_after_auth)
  IkeSa& ref = *sa;
  table.sas.emplace(ref.id, std::move(sa));
  table.touch(ref);
  return ref;
}

void Engine::Impl::drop(DropReason r, std::string detail) {
  ++stats.dropped[size_t(r)];
  if (config.debug_events) emit(InputDropped{r, std::move(detail)});
}

Failure Engine::Impl::failure(const IkeSa& sa, wire::ExchangeType exchange, FailureStep step,
                              std::string reason) {
  Failure f;
  f.sa = sa.id;
  f.peer = sa.peer_name();
  f.exchange = exchange;
  f.step = step;
  f.reason = std::move(reason);
  return f;
}

void Engine::Impl::fail(IkeSa& sa, Failure f) {
  ++stats.failures;
  DownReason why = f.step == FailureStep::retransmit ? DownReason::retransmit : DownReason::failure;
  emit(std::move(f));
  remove_sa(sa, why);
}

void Engine::Impl::emit_ike_keys(const IkeSa& sa, const IkeKeys& keys) {
  if (!config.emit_keys) return;
  IkeSaKeys k;
  k.spi_i = sa.spi_i;
  k.spi_r = sa.spi_r;
  k.encr = keyword_of(sa.alg.encr);
  k.integ = keyword_of(sa.alg.integ);
  k.prf = keyword_of(sa.alg.prf);
  k.ke = keyword_of(sa.alg.ke);
  k.sk_d = keys.sk_d;
  k.sk_ai = keys.sk_ai;
  k.sk_ar = keys.sk_ar;
  k.sk_ei = keys.sk_ei;
  k.sk_er = keys.sk_er;
  k.sk_pi = keys.sk_pi;
  k.sk_pr = keys.sk_pr;
  emit(SaKeys{sa.id, std::move(k)});
}

void Engine::Impl::remove_sa(IkeSa& sa, DownReason reason) {
  if (sa.state == IkeSaState::dead) return;
  config_payload::release_leases(*this, sa);
  table.touch(sa);
  if (sa.silent) sa.children.clear();
  for (auto& c : sa.children)
    emit(ChildSaDown{sa.id, sa.peer_name(), c.name(), c.spi_in, c.spi_out,
                     reason == DownReason::deleted_by_peer || reason == DownReason::deleted_locally
                         ? reason
                         : DownReason::ike_sa_down});
  sa.children.clear();
  if (!sa.silent && (sa.state == IkeSaState::established || sa.state == IkeSaState::rekeying ||
                     sa.state == IkeSaState::deleting || sa.authenticated))
    emit(IkeSaDown{sa.id, sa.peer_name(), sa.spi_i, sa.spi_r, reason, sa.replaced_by});
  // A half-open SA that answered only IKE_SA_INIT has nothing left to answer: a
  // retransmitted IKE_SA_INIT starts afresh once the SA is dead (receive()).
  if (sa.state == IkeSaState::half_open && sa.msg_id_in == 1) sa.have_last_response = false;
  set_state(sa, IkeSaState::dead);
  release_after_death(sa);
  sa.rekey_at.reset();
  sa.expire_at.reset();
  sa.dpd_at.reset();
  sa.half_open_deadline.reset();
  // Linger to answer a retransmitted last request (e.g. the Delete) from the cache; with
  // nothing to answer, go at the next timeout.
  sa.dead_until = sa.have_last_response ? now + retransmit_span() : now;
}

// ---------------------------------------------------------------- Engine

Engine::Engine(Config config, Rng& rng, TimePoint now)
    : impl_(std::make_unique<Impl>(std::move(config), rng, now)) {}
Engine::~Engine() = default;
Engine::Engine(Engine&&) noexcept = default;
Engine& Engine::operator=(Engine&&) noexcept = default;

void Engine::receive(const Datagram& in, TimePoint now) {
  impl_->now = now;
  impl_->reply_to = &in;
  impl_->receive(in);
  impl_->reply_to = nullptr;
}

void Engine::on_timeout(TimePoint now) {
  impl_->now = now;
  impl_->timeout();
}

std::optional<TimePoint> Engine::next_timeout() const { return impl_->next_deadline(); }

Result<SaId> Engine::initiate(std::string_view peer_name, TimePoint now) {
  impl_->now = now;
  auto p = impl_->find_peer(peer_name);
  if (!p)
    return make_error(Errc::not_found, "peer",
                      "no connection named \"" + std::string(peer_name) + "\"");
  return ike_sa_init::start(*impl_, p);
}

std::shared_ptr<const PeerConfig> Engine::Impl::put_peer(const PeerConfig& peer) {
  auto p = std::make_shared<const PeerConfig>(peer);
  bool replaced = false;
  for (auto& x : peers)
    if (x->name == peer.name) {
      x = p;
      replaced = true;
    }
  if (!replaced) peers.push_back(p);
  auto& cs = config.peers;
  replaced = false;
  for (auto& x : cs)
    if (x.name == peer.name) {
      x = peer;
      replaced = true;
    }
  if (!replaced) cs.push_back(peer);
  return p;
}

Result<SaId> Engine::initiate(const PeerConfig& peer, TimePoint now) {
  impl_->now = now;
  return ike_sa_init::start(*impl_, impl_->put_peer(peer));
}

Result<void> Engine::add_peer(const PeerConfig& peer, TimePoint now) {
  impl_->now = now;
  if (peer.name.empty()) return make_error(Errc::usage, "name", "a connection needs a name");
  impl_->put_peer(peer);
  return {};
}

Result<void> Engine::remove_peer(std::string_view name, TimePoint now) {
  impl_->now = now;
  if (!impl_->find_peer(name))
    return make_error(Errc::not_found, "peer", "no connection named \"" + std::string(name) + "\"");
  // The SAs keep their shared PeerConfig until they are gone, so a Delete in flight
  // finishes with the settings it started with.
  for (auto& [id, sa] : impl_->table.sas) {
    if (!sa->peer || sa->peer->name != name || sa->state == IkeSaState::dead || sa->silent)
      continue;
    if (sa->state == IkeSaState::established || sa->state == IkeSaState::rekeying)
      impl_->queue_task(*sa, Task{RequestKind::delete_ike});
    else if (sa->state != IkeSaState::deleting)
      impl_->remove_sa(*sa, DownReason::deleted_locally); // nothing to tell the peer yet
  }
  std::erase_if(impl_->peers,
                [&](const std::shared_ptr<const PeerConfig>& p) { return p->name == name; });
  std::erase_if(impl_->config.peers, [&](const PeerConfig& p) { return p.name == name; });
  return {};
}

namespace {
Result<IkeSa*> established_sa(Engine::Impl& impl, SaId id) {
  auto it = impl.table.sas.find(id);
  if (it == impl.table.sas.end() || it->second->state == IkeSaState::dead)
    return make_error(Errc::not_found, "sa", "no IKE SA " + std::to_string(id));
  IkeSa* sa = it->second.get();
  if (!usable(*sa))
    return make_error(Errc::bad_value, "sa",
                      "IKE SA " + std::to_string(id) + " is " +
                          std::string(ike_sa_state_name(sa->state)));
  return sa;
}
} // namespace

Result<void> Engine::terminate(SaId id, TimePoint now) {
  impl_->now = now;
  auto it = impl_->table.sas.find(id);
  if (it == impl_->table.sas.end() || it->second->state == IkeSaState::dead)
    return make_error(Errc::not_found, "sa", "no IKE SA " + std::to_string(id));
  IkeSa& sa = *it->second;
  if (sa.state != IkeSaState::established && sa.state != IkeSaState::rekeying) {
    impl_->remove_sa(sa, DownReason::deleted_locally); // nothing to tell the peer yet
    return {};
  }
  impl_->queue_task(sa, Task{RequestKind::delete_ike});
  return {};
}

namespace {
// A local request (delete, rekey) about Child SA `spi_in` of the established IKE SA `id`.
Result<void> queue_child_task(Engine::Impl& impl, SaId id, uint32_t spi_in, RequestKind kind) {
  auto sa = established_sa(impl, id);
  if (!sa) return sa.error();
  if (!(*sa)->find_child(spi_in))
    return make_error(Errc::not_found, "spi", "no Child SA " + to_hex_u32(spi_in));
  impl.queue_task(**sa, Task{kind, spi_in});
  return {};
}
} // namespace

Result<void> Engine::terminate_child(SaId id, uint32_t spi_in, TimePoint now) {
  impl_->now = now;
  return queue_child_task(*impl_, id, spi_in, RequestKind::delete_child);
}

Result<void> Engine::rekey_child(SaId id, uint32_t spi_in, TimePoint now) {
  impl_->now = now;
  return queue_child_task(*impl_, id, spi_in, RequestKind::rekey_child);
}

Result<void> Engine::rekey_ike(SaId id, TimePoint now) {
  impl_->now = now;
  auto sa = established_sa(*impl_, id);
  if (!sa) return sa.error();
  impl_->queue_task(**sa, Task{RequestKind::rekey_ike});
  return {};
}

Result<void> Engine::create_child(SaId id, const ChildConfig& child, TimePoint now) {
  impl_->now = now;
  auto sa = established_sa(*impl_, id);
  if (!sa) return sa.error();
  if (child.esp_proposals.empty())
    return make_error(Errc::usage, "esp_proposal", "no ESP proposals");
  impl_->queue_task(**sa, Task{RequestKind::create_child, 0, child});
  return {};
}

Result<void> Engine::send_dpd(SaId id, TimePoint now) {
  impl_->now = now;
  auto sa = established_sa(*impl_, id);
  if (!sa) return sa.error();
  impl_->queue_task(**sa, Task{RequestKind::dpd});
  return {};
}

void Engine::esp_arrived_from(SaId id, const Endpoint& remote, TimePoint now) {
  impl_->now = now;
  auto sa = established_sa(*impl_, id);
  // ESP in UDP goes where the SA floated to (RFC 3948); a stream carries no ESP here.
  if (!sa || !(*sa)->nat_t || (*sa)->stream) return;
  Datagram d; // as if an authenticated IKE message had come on the NAT-T port
  d.local = (*sa)->local;
  d.remote = remote;
  d.nat_t = true;
  impl_->follow_peer(**sa, d);
}

Result<void> Engine::move_local(SaId id, const IpAddress& local, TimePoint now) {
  impl_->now = now;
  auto sa = established_sa(*impl_, id);
  if (!sa) return sa.error();
  return mobike::move_local(*impl_, **sa, local);
}

std::optional<Transmit> Engine::poll_transmit(MutBytes out) {
  auto& tx = impl_->tx;
  if (tx.empty()) return std::nullopt;
  auto& d = tx.front();
  if (d.data.size() > out.size()) {
    ++impl_->stats.dropped[size_t(DropReason::buffer_too_small)];
    return std::nullopt;
  }
  std::copy(d.data.begin(), d.data.end(), out.begin());
  Transmit t{d.local, d.remote, d.nat_t,          d.data.size(), d.keepalive,
             d.sa,    d.stream, d.tcp_originator, d.connection};
  tx.pop_front();
  ++impl_->stats.datagrams_sent;
  return t;
}

void Engine::esp_sent(SaId id, TimePoint at) {
  auto it = impl_->table.sas.find(id);
  if (it == impl_->table.sas.end()) return;
  it->second->last_sent = std::max(it->second->last_sent, at);
  impl_->table.touch(*it->second); // its keepalive deadline moved
}

void Engine::keepalive_skipped(SaId id, TimePoint esp_at) {
  esp_sent(id, esp_at);
  Stats& s = impl_->stats;
  if (s.nat_keepalives_sent > 0) --s.nat_keepalives_sent;
  if (s.datagrams_sent > 0) --s.datagrams_sent;
}

std::optional<Event> Engine::poll_event() {
  if (impl_->events.empty()) return std::nullopt;
  Event e = std::move(impl_->events.front());
  impl_->events.pop_front();
  return e;
}

std::optional<EapBackendRequest> Engine::poll_backend_request() {
  if (impl_->backend_requests.empty()) return std::nullopt;
  EapBackendRequest r = std::move(impl_->backend_requests.front());
  impl_->backend_requests.pop_front();
  return r;
}

void Engine::backend_answer(const EapBackendAnswer& answer, TimePoint now) {
  impl_->now = now;
  ike_auth_eap::on_backend_answer(*impl_, answer);
}

const Stats& Engine::stats() const { return impl_->stats; }
const Config& Engine::config() const { return impl_->config; }

std::vector<IkeSaInfo> Engine::list_sas() const {
  std::vector<IkeSaInfo> v;
  for (auto& [id, sa] : impl_->table.sas) {
    if (sa->state == IkeSaState::dead || sa->silent) continue;
    IkeSaInfo i;
    i.sa = id;
    i.peer = sa->peer_name();
    i.initiator = sa->initiator;
    i.state = sa->state;
    i.spi_i = sa->spi_i;
    i.spi_r = sa->spi_r;
    i.local = sa->local;
    i.remote = sa->remote;
    i.nat_t = sa->nat_t;
    i.stream = sa->stream;
    i.nat_local = sa->nat_local;
    i.nat_remote = sa->nat_remote;
    i.encap = encap_of(*sa);
    i.mobike = sa->mobike;
    i.moves = sa->moves;
    i.peer_addresses = sa->peer_addresses;
    i.local_auth = sa->local_auth_desc;
    i.remote_auth = sa->remote_auth_desc;
    i.eap_method = sa->eap_method();
    i.eap_identity = sa->eap_identity();
    i.encr = keyword_of(sa->alg.encr);
    i.integ = keyword_of(sa->alg.integ);
    i.prf = keyword_of(sa->alg.prf);
    i.ke = keyword_of(sa->alg.ke);
    if (sa->peer) i.local_id = sa->peer->local_id;
    if (sa->authenticated) i.remote_id = sa->remote_id;
    i.established_at = sa->established_at;
    i.rekey_at = sa->rekey_at;
    i.expire_at = sa->expire_at;
    i.next_message_id_out = sa->msg_id_out;
    i.next_message_id_in = sa->msg_id_in;
    i.virtual_ips = sa->cp().vips;
    i.dns = sa->cp().dns;
    i.subnets = sa->cp().subnets;
    for (auto& c : sa->children) {
      ChildSaInfo ci;
      ci.name = c.name();
      ci.spi_in = c.spi_in;
      ci.spi_out = c.spi_out;
      ci.mode = c.mode;
      ci.udp_encap = encap_of(*sa) != Encap::none;
      ci.encr = keyword_of(c.alg.encr);
      ci.integ = keyword_of(c.alg.integ);
      ci.esn = c.alg.esn;
      ci.local_ts = c.local_ts;
      ci.remote_ts = c.remote_ts;
      ci.established_at = c.established_at;
      ci.rekey_at = c.rekey_at;
      ci.expire_at = c.expire_at;
      i.children.push_back(std::move(ci));
    }
    v.push_back(std::move(i));
  }
  return v;
}

std::vector<PoolInfo> Engine::list_pools() const {
  std::vector<PoolInfo> v;
  for (const auto& p : impl_->pools) {
    PoolInfo i{p.prefix(), p.size(), p.online(), p.offline(), p.never_used(), {}};
    for (auto& l : p.leases())
      i.leases.push_back(PoolInfo::LeaseInfo{l.address, std::move(l.identity), l.online});
    v.push_back(std::move(i));
  }
  return v;
}

} // namespace ikekit::ike
