// THE state machine of an IKE SA, in one place: the states' names, every state change
// (set_state keeps the half-open counts), which exchange may arrive in which state
// (kArrivals, then dispatch to the exchange), the task queue (which local request runs
// next) and the per-SA timers (what each deadline does; SaTable keeps each SA's earliest
// deadline in a TimerQueue, so a timeout visits only the SAs that are due).
#include "exchange/create_child_sa.hpp"
#include "exchange/ike_auth.hpp"
#include "exchange/ike_auth_eap.hpp"
#include "exchange/ike_sa_init.hpp"
#include "exchange/informational.hpp"
#include "ike/engine_impl.hpp"

namespace ikekit::ike {

using wire::ExchangeType;

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

void Engine::Impl::set_state(IkeSa& sa, IkeSaState s) {
  if (sa.state == s) return;
  if (s == IkeSaState::half_open && !sa.initiator)
    count_half_open(sa);
  else if (sa.half_open_from)
    uncount_half_open(sa);
  sa.state = s;
  table.touch(sa);
}

namespace {

constexpr uint8_t bit(IkeSaState s) { return uint8_t(1u << unsigned(s)); }
constexpr uint8_t kAnyState = 0xff;

// What a message gets when it arrives in a state its exchange is not handled in:
// dropped as unexpected_exchange, dropped as a duplicate (a response to a request
// answered before), or answered TEMPORARY_FAILURE.
enum class Otherwise : uint8_t { unexpected, duplicate, temporary_failure };

// An exchange of an IKE SA, the states of that SA it is handled in, and by which
// function. The one message missing here is the IKE_SA_INIT request: it arrives before
// there is any SA of ours to have a state (RFC 7296 1.2), so receive.cpp hands it to
// ike_sa_init::process_request, which makes the SA.
struct Arrival {
  ExchangeType exchange;
  bool response;
  uint8_t states;
  Otherwise otherwise;
  void (*handle)(EngineContext&, IkeSa&, Inbound&);
};

// RFC 7296 1.2: the IKE_SA_INIT response (in the clear) is awaited only while the
// initiator is connecting, any later copy answers a request answered before; IKE_AUTH
// follows IKE_SA_INIT (a responder is half-open until then, an initiator
// authenticating); 1.3, 2.25: CREATE_CHILD_SA only on an established IKE SA,
// one being closed answers TEMPORARY_FAILURE; 1.4: INFORMATIONAL in any state (DPD,
// Delete, error notifies). Responses are matched to the request in flight first
// (transport.cpp: accept_response; for IKE_SA_INIT, once its state has let it in).
constexpr Arrival kArrivals[] = {
    {ExchangeType::ike_sa_init, true, bit(IkeSaState::connecting), Otherwise::duplicate,
     &ike_sa_init::process_response},
    {ExchangeType::ike_auth, false, bit(IkeSaState::half_open), Otherwise::unexpected,
     &ike_auth::process_request},
    {ExchangeType::ike_auth, true, bit(IkeSaState::authenticating), Otherwise::unexpected,
     &ike_auth::process_response},
    {ExchangeType::create_child_sa, false,
     uint8_t(bit(IkeSaState::established) | bit(IkeSaState::rekeying)),
     Otherwise::temporary_failure, &create_child_sa::process_request},
    {ExchangeType::create_child_sa, true, kAnyState, Otherwise::unexpected,
     &create_child_sa::process_response},
    {ExchangeType::informational, false, kAnyState, Otherwise::unexpected,
     &informational::process_request},
    {ExchangeType::informational, true, kAnyState, Otherwise::unexpected,
     &informational::process_response},
};

} // namespace

void Engine::Impl::dispatch(IkeSa& sa, Inbound& in) {
  const bool resp = in.hdr.response();
  const std::string_view exchange = wire::exchange_type_name(in.hdr.exchange_type);
  for (const Arrival& a : kArrivals) {
    if (a.exchange != in.hdr.exchange_type || a.response != resp) continue;
    if (a.states & bit(sa.state)) return a.handle(*this, sa, in);
    if (a.otherwise == Otherwise::temporary_failure)
      return send_error_notify_response(sa, in.hdr, wire::NotifyType::temporary_failure);
    return drop(a.otherwise == Otherwise::duplicate ? DropReason::duplicate
                                                    : DropReason::unexpected_exchange,
                std::string(exchange) + (resp ? " response" : " request") + " in state " +
                    std::string(ike_sa_state_name(sa.state)));
  }
  return drop(DropReason::unexpected_exchange, std::string(exchange));
}

void Engine::Impl::queue_task(IkeSa& sa, Task t) {
  table.touch(sa);
  sa.tasks.push_back(std::move(t));
  run_tasks(sa);
}

void Engine::Impl::run_tasks(IkeSa& sa) {
  while (!sa.out && !sa.tasks.empty() && usable(sa)) {
    Task t = std::move(sa.tasks.front());
    sa.tasks.pop_front();
    switch (t.kind) {
    case RequestKind::create_child:
    case RequestKind::rekey_child:
    case RequestKind::rekey_ike:
      create_child_sa::start(*this, sa, t);
      break;
    default:
      informational::start(*this, sa, t);
      break;
    }
  }
}

// Only the SAs whose earliest deadline has come (SaTable::timers), in SaId order.
void Engine::Impl::timeout() {
  table.flush_timers();
  for (uint64_t id : table.timers.due(now)) {
    auto it = table.sas.find(id);
    if (it == table.sas.end()) continue; // removed by an earlier SA's timer
    table.touch(*it->second);
    sa_timeout(*it->second);
  }
  table.flush_timers();
}

// What each deadline of sa_deadline() does when it has come.
void Engine::Impl::sa_timeout(IkeSa& sa) {
  if (sa.state == IkeSaState::dead) {
    if (sa.dead_until && now >= *sa.dead_until) table.sas.erase(sa.id);
    return;
  }
  if (sa.out && now >= sa.out->deadline) retransmit_due(sa);
  if (sa.state == IkeSaState::dead) return;
  if (sa.half_open_deadline && now >= *sa.half_open_deadline &&
      (sa.state == IkeSaState::half_open || sa.state == IkeSaState::connecting ||
       sa.state == IkeSaState::authenticating)) {
    sa.half_open_deadline.reset();
    if (sa.state == IkeSaState::half_open && !ike_auth_eap::give_up_on_backend(*this, sa))
      return remove_sa(sa, DownReason::half_open_timeout);
    if (sa.state == IkeSaState::dead) return;
  }
  if (sa.expire_at && now >= *sa.expire_at) {
    // Hard lifetime: tell the peer with a Delete, and drop the SA regardless once
    // that had its full retransmission span.
    if (!sa.silent && sa.state == IkeSaState::established) {
      sa.expire_at = now + retransmit_span();
      return queue_task(sa, Task{RequestKind::delete_ike});
    }
    return remove_sa(sa, DownReason::expired);
  }
  if (auto k = keepalive_at(sa); k && now >= *k) send_keepalive(sa);
  if (sa.state != IkeSaState::established) return;
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

// The IKE SA's own deadlines once established (or rekeyed): DPD and its lifetimes.
void Engine::Impl::schedule_timers(IkeSa& sa) {
  const PeerConfig& p = *sa.peer;
  if (p.dpd_delay.count() > 0) sa.dpd_at = now + p.dpd_delay;
  lifetime_deadlines(p.ike_lifetimes, sa.rekey_at, sa.expire_at);
}

void Engine::Impl::lifetime_deadlines(const Lifetimes& lt, OptTime& rekey_at, OptTime& expire_at) {
  if (lt.rekey_time.count() > 0) {
    Duration jitter{0};
    if (lt.jitter.count() > 0) {
      Bytes r = random_bytes(4);
      jitter = Duration(int64_t(load_be32(r.data()) % uint64_t(lt.jitter.count())));
    }
    rekey_at = now + lt.rekey_time - jitter;
  }
  if (lt.life_time.count() > 0) expire_at = now + lt.life_time;
}

// Every deadline sa_timeout() acts on, in the states it acts in. A new kind of per-SA
// deadline is one take() line here (plus its action in sa_timeout()): the SaTable's
// TimerQueue picks it up when the SA is next touched (SaTable::touch()).
std::optional<TimePoint> sa_deadline(const IkeSa& sa, Duration nat_keepalive) {
  std::optional<TimePoint> t;
  auto take = [&](const std::optional<TimePoint>& x) {
    if (x && (!t || *x < *t)) t = x;
  };
  take(sa.dead_until);
  if (sa.state == IkeSaState::dead) return t;
  if (sa.out) take(sa.out->deadline);
  take(sa.half_open_deadline);
  take(sa.expire_at);
  take(nat_keepalive_at(sa, nat_keepalive));
  if (sa.state != IkeSaState::established) return t;
  take(sa.dpd_at);
  take(sa.rekey_at);
  for (auto& c : sa.children) {
    take(c.expire_at);
    if (!c.rekeyed) take(c.rekey_at);
  }
  return t;
}

std::optional<TimePoint> Engine::Impl::next_deadline() {
  table.flush_timers();
  return table.timers.next();
}

} // namespace ikekit::ike
