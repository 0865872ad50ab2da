// The Engine facade and the receive path: parse the header, find the IKE SA by our SPI
// (RFC 7296 2.6: "the recipient's SPI" identifies the SA), check the message ID window
// (RFC 7296 2.3), open SK/SKF, check the payload rules and dispatch by exchange type.
// Timers (retransmission, DPD, rekey, expiry) are deadlines handed back by next_timeout().
#include "ike/engine.hpp"

#include "base/hex.hpp"
#include "ike/engine_impl.hpp"
#include "wire/rules.hpp"

#include <algorithm>

namespace ikekit::ike {

using wire::ExchangeType;
using wire::PayloadType;

std::string_view ike_sa_state_name(IkeSaState s) {
  switch (s) {
  case IkeSaState::connecting:
    return "connecting";
  case IkeSaState::half_open:
    return "half_open";
  case IkeSaState::authenticating:
    return "authenticating";
  case IkeSaState::established:
    return "established";
  case IkeSaState::rekeying:
    return "rekeying";
  case IkeSaState::deleting:
    return "deleting";
  case IkeSaState::dead:
    return "dead";
  }
  return "unknown";
}

Engine::Impl::Impl(Config c, Rng& r, TimePoint t) : config(std::move(c)), rng(r), now(t) {
  for (auto& p : config.peers)
    peers.push_back(std::make_shared<const PeerConfig>(p));
  cookie_secret.current = random_bytes(32);
  cookie_secret.changed_at = now;
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
  sa->id = next_sa_id++;
  sa->peer = std::move(peer);
  sa->initiator = initiator;
  sa->created_at = sa->last_received = now;
  IkeSa& ref = *sa;
  sas.emplace(ref.id, std::move(sa));
  return ref;
}

void Engine::Impl::drop(DropReason r, std::string detail) {
  ++stats.dropped[size_t(r)];
  if (config.debug_events) emit(InputDropped{r, std::move(detail)});
}

Failure Engine::Impl::failure(const IkeSa& sa, std::string exchange, std::string step,
                              std::string reason) {
  Failure f;
  f.sa = sa.id;
  f.peer = sa.peer ? sa.peer->name : "";
  f.exchange = std::move(exchange);
  f.step = std::move(step);
  f.reason = std::move(reason);
  return f;
}

void Engine::Impl::fail(IkeSa& sa, Failure f) {
  ++stats.failures;
  std::string why = f.step == "retransmit" ? "retransmit" : "failure";
  emit(std::move(f));
  remove_sa(sa, why);
}

void Engine::Impl::remove_sa(IkeSa& sa, const std::string& reason) {
  if (sa.state == IkeSaState::dead) return;
  if (sa.silent) sa.children.clear();
  for (auto& c : sa.children)
    emit(ChildSaDown{sa.id, c.name, c.spi_in, c.spi_out,
                     reason == "deleted by peer" || reason == "deleted locally" ? reason
                                                                                : "ike_sa_down"});
  sa.children.clear();
  if (!sa.silent && (sa.state == IkeSaState::established || sa.state == IkeSaState::rekeying ||
                     sa.state == IkeSaState::deleting || sa.authenticated))
    emit(IkeSaDown{sa.id, sa.peer ? sa.peer->name : "", sa.spi_i, sa.spi_r, reason});
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

std::vector<wire::NotifyPayload> parse_notifies(const std::vector<wire::RawPayload>& chain) {
  std::vector<wire::NotifyPayload> v;
  for (const auto& p : chain)
    if (p.type == uint8_t(PayloadType::n))
      if (auto n = wire::parse_notify(p.body)) v.push_back(*n);
  return v;
}

void Engine::Impl::receive(const Datagram& in) {
  ++stats.datagrams_received;
  if (config.max_message_size != 0 && in.data.size() > config.max_message_size)
    return drop(DropReason::too_large, std::to_string(in.data.size()) + " bytes");
  rx.assign(in.data.begin(), in.data.end());
  auto msg = wire::parse_message(rx, wire::ChainOptions{false});
  if (!msg) return drop(DropReason::malformed, msg.error().field + ": " + msg.error().message);
  const wire::IkeHeader& h = msg->header;

  if (h.exchange_type == ExchangeType::ike_sa_init && !h.response()) {
    if (!h.initiator() || h.message_id != 0)
      return drop(DropReason::bad_flags, "IKE_SA_INIT request");
    if (h.spi_r != 0) {
      if (find_sa(h.spi_r))
        return drop(DropReason::duplicate, "IKE_SA_INIT request for an SA we have");
      return drop(DropReason::unknown_sa, "IKE_SA_INIT request with a responder SPI");
    }
    if (IkeSa* gone = find_half_open(h.spi_i, in.remote); gone && gone->state == IkeSaState::dead)
      sas.erase(gone->id); // e.g. a half-open SA that timed out: start afresh
    if (IkeSa* sa = find_half_open(h.spi_i, in.remote)) {
      // RFC 7296 2.1: a retransmitted request is answered with the same response.
      if (sa->have_last_response && sa->msg_id_in == 1) return answer_retransmission(*sa, in.data);
      return drop(DropReason::duplicate, "IKE_SA_INIT request");
    }
    return on_init_request(in, *msg);
  }

  const bool from_initiator = h.initiator();
  IkeSa* sa = find_sa(from_initiator ? h.spi_r : h.spi_i);
  if (!sa) return drop(DropReason::unknown_sa, "no IKE SA for the SPIs");
  if (sa->initiator == from_initiator) return drop(DropReason::bad_flags, "Initiator flag");
  uint64_t their_spi = from_initiator ? h.spi_i : h.spi_r;
  uint64_t known = sa->initiator ? sa->spi_r : sa->spi_i;
  if (known != 0 && known != their_spi) return drop(DropReason::unknown_sa, "peer SPI mismatch");

  Inbound ib;
  ib.hdr = h;
  ib.dg = &in;
  ib.message = msg->bytes;
  ib.outer = msg->payloads;

  if (h.exchange_type == ExchangeType::ike_sa_init) { // a response
    if (sa->state != IkeSaState::connecting)
      return drop(DropReason::duplicate, "IKE_SA_INIT response");
    if (!accept_response(*sa, h)) return;
    ib.notifies = parse_notifies(ib.outer);
    return on_init_response(*sa, ib);
  }

  const wire::RawPayload* enc = msg->encrypted();
  if (!enc) return drop(DropReason::payload_rules, "no SK payload");
  bool first_fragment = true;
  if (enc->type == uint8_t(PayloadType::skf)) {
    auto skf = wire::parse_skf(*enc);
    if (!skf) return drop(DropReason::fragment, skf.error().field);
    first_fragment = skf->fragment_number == 1;
  }
  // The message ID window first: a dead SA (no keys left) still answers a retransmission.
  if (h.response()) {
    if (!accept_response(*sa, h)) return;
  } else {
    if (!accept_request(*sa, h, first_fragment, in.data)) return;
    if (sa->state == IkeSaState::dead) return drop(DropReason::unknown_sa, "IKE SA is gone");
  }
  if (!sa->crypt_in) return drop(DropReason::unexpected_exchange, "encrypted exchange before keys");
  Opened r = open(*sa, ib, rx, *msg);
  if (r != Opened::ok) return;
  ib.notifies = parse_notifies(ib.inner);

  auto outer_types = wire::payload_types(ib.outer);
  auto inner_types = wire::payload_types(ib.inner);
  if (auto ok = wire::check_payload_rules(h.exchange_type, h.response(), outer_types, inner_types);
      !ok)
    return drop(DropReason::payload_rules, ok.error().field + ": " + ok.error().message);
  if (auto crit = wire::first_unsupported_critical(ib.inner)) {
    drop(DropReason::unsupported_critical, "payload type " + std::to_string(*crit));
    if (!h.response()) { // RFC 7296 3.10.1: the data is the one-octet payload type
      uint8_t type = *crit;
      send_error_notify_response(*sa, h, wire::NotifyType::unsupported_critical_payload,
                                 ByteView(&type, 1));
    }
    return;
  }

  sa->last_received = now;
  // RFC 7296 2.23: follow the peer to the address/port of the latest authenticated
  // message (it floated to 4500, or a NAT mapping changed).
  if (in.nat_t && !sa->nat_t) {
    sa->nat_t = true;
    sa->local.port = in.local.port;
  }
  if (!(sa->remote == in.remote) && (sa->nat_t || in.nat_t)) sa->remote = in.remote;
  if (sa->peer && sa->peer->dpd_delay.count() > 0) sa->dpd_at = now + sa->peer->dpd_delay;
  dispatch(*sa, ib);
}

void Engine::Impl::dispatch(IkeSa& sa, Inbound& in) {
  const bool resp = in.hdr.response();
  switch (in.hdr.exchange_type) {
  case ExchangeType::ike_auth:
    return resp ? on_auth_response(sa, in) : on_auth_request(sa, in);
  case ExchangeType::create_child_sa:
    return resp ? on_create_child_response(sa, in) : on_create_child_request(sa, in);
  case ExchangeType::informational:
    return resp ? on_informational_response(sa, in) : on_informational_request(sa, in);
  default:
    return drop(DropReason::unexpected_exchange,
                std::string(wire::exchange_type_name(in.hdr.exchange_type)));
  }
}

void Engine::Impl::timeout() {
  std::vector<SaId> ids;
  for (auto& [id, sa] : sas)
    ids.push_back(id);
  for (SaId id : ids) {
    auto it = sas.find(id);
    if (it == sas.end()) continue;
    IkeSa& sa = *it->second;
    if (sa.state == IkeSaState::dead) {
      if (sa.dead_until && now >= *sa.dead_until) sas.erase(it);
      continue;
    }
    if (sa.out && now >= sa.out->deadline) retransmit_due(sa);
    if (sa.state == IkeSaState::dead) continue;
    if (sa.half_open_deadline && now >= *sa.half_open_deadline &&
        (sa.state == IkeSaState::half_open || sa.state == IkeSaState::connecting ||
         sa.state == IkeSaState::authenticating)) {
      sa.half_open_deadline.reset();
      if (sa.state == IkeSaState::half_open) {
        remove_sa(sa, "half-open timeout");
        continue;
      }
    }
    if (sa.expire_at && now >= *sa.expire_at) {
      // Hard lifetime: tell the peer with a Delete, and drop the SA regardless once
      // that had its full retransmission span.
      if (!sa.silent && sa.state == IkeSaState::established) {
        sa.expire_at = now + retransmit_span();
        queue_task(sa, Task{RequestKind::delete_ike});
        continue;
      }
      remove_sa(sa, "expired");
      continue;
    }
    if (sa.state != IkeSaState::established) continue;
    if (sa.dpd_at && now >= *sa.dpd_at) {
      sa.dpd_at.reset();
      if (!sa.out && sa.tasks.empty()) queue_task(sa, Task{RequestKind::dpd});
    }
    if (sa.rekey_at && now >= *sa.rekey_at) {
      sa.rekey_at.reset();
      queue_task(sa, Task{RequestKind::rekey_ike});
    }
    for (size_t i = 0; i < sa.children.size(); ++i) {
      ChildSa& c = sa.children[i];
      if (c.expire_at && now >= *c.expire_at) {
        c.expire_at.reset();
        queue_task(sa, Task{RequestKind::delete_child, c.spi_in});
        continue;
      }
      if (c.rekey_at && now >= *c.rekey_at && !c.rekeyed) {
        c.rekey_at.reset();
        queue_task(sa, Task{RequestKind::rekey_child, c.spi_in});
      }
    }
  }
}

std::optional<TimePoint> Engine::Impl::next_deadline() const {
  std::optional<TimePoint> t;
  auto take = [&](const std::optional<TimePoint>& x) {
    if (x && (!t || *x < *t)) t = x;
  };
  for (auto& [id, sa] : sas) {
    take(sa->dead_until);
    if (sa->state == IkeSaState::dead) continue;
    if (sa->out) take(sa->out->deadline);
    take(sa->half_open_deadline);
    take(sa->expire_at);
    if (sa->state != IkeSaState::established) continue;
    take(sa->dpd_at);
    take(sa->rekey_at);
    for (auto& c : sa->children) {
      take(c.expire_at);
      if (!c.rekeyed) take(c.rekey_at);
    }
  }
  return t;
}

// ---------------------------------------------------------------- Engine

Engine::Engine(Config config, Rng& rng, TimePoint now)
    : impl_(std::make_unique<Impl>(std::move(config), rng, now)) {}
Engine::~Engine() = default;
Engine::Engine(Engine&&) noexcept = default;
Engine& Engine::operator=(Engine&&) noexcept = default;

void Engine::receive(const Datagram& in, TimePoint now) {
  impl_->now = now;
  impl_->receive(in);
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
  return impl_->start(p);
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
  return impl_->start(impl_->put_peer(peer));
}

Result<void> Engine::add_peer(PeerConfig peer, TimePoint now) {
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
  for (auto& [id, sa] : impl_->sas) {
    if (!sa->peer || sa->peer->name != name || sa->state == IkeSaState::dead || sa->silent)
      continue;
    if (sa->state == IkeSaState::established || sa->state == IkeSaState::rekeying)
      impl_->queue_task(*sa, Task{RequestKind::delete_ike});
    else if (sa->state != IkeSaState::deleting)
      impl_->remove_sa(*sa, "deleted locally"); // nothing to tell the peer yet
  }
  std::erase_if(impl_->peers,
                [&](const std::shared_ptr<const PeerConfig>& p) { return p->name == name; });
  std::erase_if(impl_->config.peers, [&](const PeerConfig& p) { return p.name == name; });
  return {};
}

namespace {
Result<IkeSa*> established_sa(Engine::Impl& impl, SaId id) {
  auto it = impl.sas.find(id);
  if (it == impl.sas.end() || it->second->state == IkeSaState::dead)
    return make_error(Errc::not_found, "sa", "no IKE SA " + std::to_string(id));
  IkeSa* sa = it->second.get();
  if (sa->state != IkeSaState::established && sa->state != IkeSaState::rekeying)
    return make_error(Errc::bad_value, "sa",
                      "IKE SA " + std::to_string(id) + " is " +
                          std::string(ike_sa_state_name(sa->state)));
  return sa;
}
} // namespace

Result<void> Engine::terminate(SaId id, TimePoint now) {
  impl_->now = now;
  auto it = impl_->sas.find(id);
  if (it == impl_->sas.end() || it->second->state == IkeSaState::dead)
    return make_error(Errc::not_found, "sa", "no IKE SA " + std::to_string(id));
  IkeSa& sa = *it->second;
  if (sa.state != IkeSaState::established && sa.state != IkeSaState::rekeying) {
    impl_->remove_sa(sa, "deleted locally"); // nothing to tell the peer yet
    return {};
  }
  impl_->queue_task(sa, Task{RequestKind::delete_ike});
  return {};
}

Result<void> Engine::terminate_child(SaId id, uint32_t spi_in, TimePoint now) {
  impl_->now = now;
  auto sa = established_sa(*impl_, id);
  if (!sa) return sa.error();
  if (!(*sa)->find_child(spi_in))
    return make_error(Errc::not_found, "spi", "no Child SA " + to_hex_u32(spi_in));
  impl_->queue_task(**sa, Task{RequestKind::delete_child, spi_in});
  return {};
}

Result<void> Engine::rekey_child(SaId id, uint32_t spi_in, TimePoint now) {
  impl_->now = now;
  auto sa = established_sa(*impl_, id);
  if (!sa) return sa.error();
  if (!(*sa)->find_child(spi_in))
    return make_error(Errc::not_found, "spi", "no Child SA " + to_hex_u32(spi_in));
  impl_->queue_task(**sa, Task{RequestKind::rekey_child, spi_in});
  return {};
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

std::optional<Transmit> Engine::poll_transmit(MutBytes out) {
  auto& tx = impl_->tx;
  if (tx.empty()) return std::nullopt;
  auto& d = tx.front();
  if (d.data.size() > out.size()) {
    ++impl_->stats.dropped[size_t(DropReason::buffer_too_small)];
    return std::nullopt;
  }
  std::copy(d.data.begin(), d.data.end(), out.begin());
  Transmit t{d.local, d.remote, d.nat_t, d.data.size()};
  tx.pop_front();
  ++impl_->stats.datagrams_sent;
  return t;
}

std::optional<Event> Engine::poll_event() {
  if (impl_->events.empty()) return std::nullopt;
  Event e = std::move(impl_->events.front());
  impl_->events.pop_front();
  return e;
}

const Stats& Engine::stats() const { return impl_->stats; }
const Config& Engine::config() const { return impl_->config; }

std::vector<IkeSaInfo> Engine::list_sas() const {
  std::vector<IkeSaInfo> v;
  for (auto& [id, sa] : impl_->sas) {
    if (sa->state == IkeSaState::dead || sa->silent) continue;
    IkeSaInfo i;
    i.sa = id;
    i.peer = sa->peer ? sa->peer->name : "";
    i.initiator = sa->initiator;
    i.state = sa->state;
    i.spi_i = sa->spi_i;
    i.spi_r = sa->spi_r;
    i.local = sa->local;
    i.remote = sa->remote;
    i.nat_t = sa->nat_t;
    i.nat_local = sa->nat_local;
    i.nat_remote = sa->nat_remote;
    i.local_auth = sa->local_auth_desc;
    i.remote_auth = sa->remote_auth_desc;
    auto kw = [](const crypto::TransformInfo* t) {
      return t ? std::string(t->keyword) : std::string();
    };
    i.encr = kw(sa->alg.encr);
    i.integ = kw(sa->alg.integ);
    i.prf = kw(sa->alg.prf);
    i.ke = kw(sa->alg.ke);
    if (sa->peer) i.local_id = sa->peer->local_id;
    if (sa->authenticated) i.remote_id = sa->remote_id;
    i.established_at = sa->established_at;
    i.rekey_at = sa->rekey_at;
    i.expire_at = sa->expire_at;
    i.next_message_id_out = sa->msg_id_out;
    i.next_message_id_in = sa->msg_id_in;
    for (auto& c : sa->children) {
      ChildSaInfo ci;
      ci.name = c.name;
      ci.spi_in = c.spi_in;
      ci.spi_out = c.spi_out;
      ci.mode = c.mode;
      ci.udp_encap = sa->nat_t;
      ci.encr = kw(c.alg.encr);
      ci.integ = kw(c.alg.integ);
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

} // namespace ikekit::ike
