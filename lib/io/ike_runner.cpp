#include "io/ike_runner.hpp"

#include <algorithm>
#include <signal.h>

namespace ikekit::io {

namespace {

constexpr size_t kMaxDatagram = 65536;
constexpr size_t kBatch = 16;
constexpr size_t kHeadroom = IkeRunner::kRecvHeadroom;

// Engine time is steady-clock time; certificates need the wall clock (DESIGN 1: the
// engine never reads it, the runner tells it the offset once).
Duration wall_clock_offset(TimePoint steady_now) {
  auto wall = std::chrono::system_clock::now().time_since_epoch();
  return std::chrono::duration_cast<Duration>(wall) - steady_now.time_since_epoch();
}

} // namespace

IkeRunner::~IkeRunner() = default;

Result<std::unique_ptr<IkeRunner>> IkeRunner::create(IkeRunnerOptions options, Rng& rng,
                                                     EventFn on_event) {
  std::unique_ptr<IkeRunner> r(new IkeRunner());
  auto loop = EventLoop::create();
  if (!loop) return loop.error();
  r->loop_ = std::make_unique<EventLoop>(std::move(*loop));
  TimePoint now = EventLoop::now();
  options.config.wall_clock_offset = wall_clock_offset(now);

  r->engine_ = std::make_unique<ike::Engine>(options.config, rng, now);
  r->options_ = std::move(options);
  // One pair of sockets per local address the connections use.
  for (const auto& peer : r->options_.config.peers)
    if (auto b = r->bind_local(peer.local.address, peer.local.port); !b) return b.error();
  r->on_event_ = std::move(on_event);
  r->rx_.resize(kBatch * (kHeadroom + kMaxDatagram));
  r->tx_.resize(kMaxDatagram);

  IkeRunner* self = r.get();
  for (auto& [name, rc] : r->options_.radius) {
    auto relay = EapRadiusRelay::open(rc, rng);
    if (!relay) return relay.error();
    EapRadiusRelay* x = relay->get();
    auto added = r->loop_->add_reader(x->fd(), [self, x](TimePoint t) {
      x->on_readable(t);
      self->pump(t);
    });
    if (!added) return added.error();
    r->relays_.emplace(name, std::move(*relay));
  }
  if (auto tcp = r->open_tcp(); !tcp) return tcp.error();
  r->loop_->set_deadline([self] { return self->next_deadline(); },
                         [self](TimePoint t) {
                           if (auto e = self->engine_->next_timeout(); e && *e <= t)
                             self->engine_->on_timeout(t);
                           for (auto& [name, relay] : self->relays_)
                             if (auto d = relay->next_timeout(); d && *d <= t) relay->on_timeout(t);
                           if (self->tcp_) self->tcp_->on_timeout(t);
                           self->pump(t);
                         });
  auto sig =
      r->loop_->on_signals({SIGINT, SIGTERM}, [self](int, TimePoint) { self->loop_->stop(); });
  if (!sig) return sig.error();
  return r;
}

// RFC 9329: streams, and a listener on every local address, when some connection's
// transport is tcp or auto (a UDP-only runner opens no TCP port).
Result<void> IkeRunner::open_tcp() {
  const ike::Config& config = engine_->config();
  bool wanted = std::any_of(config.peers.begin(), config.peers.end(),
                            [](const auto& p) { return p.transport != ike::IkeTransport::udp; });
  if (!wanted) return {};
  TcpStreamsOptions o = options_.tcp;
  o.port = config.tcp_port;
  for (const auto& b : bound_)
    o.listen.push_back(b.address);
  auto t = TcpStreams::create(
      *loop_, std::move(o),
      [this](const ike::Datagram& d, TimePoint now) { engine_->receive(d, now); },
      [this](ike::SaId sa, TimePoint now) { engine_->stream_broken(sa, now); },
      [this](TimePoint now) { pump(now); });
  if (!t) return t.error();
  tcp_ = std::move(*t);
  tcp_->set_unreachable_hook([this](ike::SaId sa, const std::string& why, TimePoint now) {
    engine_->stream_unreachable(sa, why, now);
  });
  return {};
}

Result<UdpSocket*> IkeRunner::bind_local(const IpAddress& local, uint16_t ike_port) {
  for (auto& b : bound_)
    if (b.address == local) return b.nat_t.get();
  Bound b{local, nullptr, nullptr};
  auto ike = UdpSocket::open({.local = {local, ike_port}});
  if (!ike) return ike.error();
  b.ike = std::make_unique<UdpSocket>(std::move(*ike));
  auto natt = UdpSocket::open({.local = {local, options_.config.nat_t_port}, .nat_t = true});
  if (!natt) return natt.error();
  b.nat_t = std::make_unique<UdpSocket>(std::move(*natt));
  for (UdpSocket* s : {b.ike.get(), b.nat_t.get()}) {
    auto added = loop_->add_reader(s->fd(), [this, s](TimePoint t) { on_readable(*s, t); });
    if (!added) return added.error();
  }
  UdpSocket* natt_socket = b.nat_t.get();
  bound_.push_back(std::move(b));
  return natt_socket;
}

UdpSocket* IkeRunner::nat_t_socket(const IpAddress& local) {
  for (auto& b : bound_)
    if (b.address == local) return b.nat_t.get();
  return nullptr;
}

std::vector<UdpSocket*> IkeRunner::sockets() {
  std::vector<UdpSocket*> v;
  for (auto& b : bound_) {
    v.push_back(b.ike.get());
    v.push_back(b.nat_t.get());
  }
  return v;
}

void IkeRunner::on_readable(UdpSocket& s, TimePoint now) {
  RecvSlot slots[kBatch];
  for (size_t i = 0; i < kBatch; ++i)
    slots[i].buffer =
        MutBytes(rx_.data() + i * (kHeadroom + kMaxDatagram) + kHeadroom, kMaxDatagram);
  auto n = s.recv_batch(slots);
  if (!n) return; // a transient socket error; the loop calls again when readable
  bool esp = false;
  for (size_t i = 0; i < *n; ++i) {
    const RecvSlot& slot = slots[i];
    if (slot.truncated || !slot.kind) continue; // runts carry nothing for us
    switch (*slot.kind) {
    case wire::UdpKind::keepalive: // RFC 3948 2.3: the engine counts it
    case wire::UdpKind::ike: {
      ike::Datagram d;
      d.local = ike::Endpoint{slot.local.value_or(s.local().address), s.local().port};
      d.remote = slot.remote;
      d.nat_t = s.nat_t();
      d.data = slot.payload();
      engine_->receive(d, now);
      break;
    }
    case wire::UdpKind::esp:
      esp = true;
      break;
    }
  }
  // ESP is opened in place in the receive buffers; nothing is copied.
  if (esp && on_esp_) on_esp_(std::span<RecvSlot>(slots, *n), now);
  pump(now);
}

void IkeRunner::pump(TimePoint now) {
  // An event handler may call the engine (the data plane deletes a Child SA it
  // refused): drain again until the engine has nothing more.
  for (bool again = true; again;) {
    while (auto t = engine_->poll_transmit(tx_)) {
      if (t->keepalive && keepalive_needless(*t, now)) continue;
      if (t->stream) {
        if (tcp_) tcp_->send_ike(*t, ByteView(tx_.data(), t->size), now);
        continue;
      }
      for (auto& b : bound_) {
        if (!(b.address == t->local.address)) continue;
        UdpSocket& s = t->nat_t ? *b.nat_t : *b.ike;
        SendSlot slot{ByteView(tx_.data(), t->size), t->remote, t->local.address,
                      t->nat_t && !t->keepalive}; // RFC 3948 2.3: the keepalive has no marker
        (void)s.send(slot); // a full socket buffer drops it; the engine retransmits
        break;
      }
    }
    again = false;
    while (auto e = engine_->poll_event()) {
      if (auto* down = std::get_if<ike::IkeSaDown>(&*e); down && tcp_) tcp_->sa_gone(down->sa);
      on_event_(*e, now);
      again = true;
    }
    if (relay_eap(now)) again = true;
  }
}

bool IkeRunner::relay_eap(TimePoint now) {
  bool answered = false;
  while (auto r = engine_->poll_backend_request()) {
    auto it = relays_.find(r->peer);
    if (it != relays_.end()) {
      it->second->send(*r, now);
      continue;
    }
    ike::EapBackendAnswer a; // a connection without RADIUS servers: no backend answers
    a.token = r->token;
    a.sa = r->sa;
    a.detail = "no RADIUS server configured for connection " + r->peer;
    engine_->backend_answer(a, now);
    answered = true;
  }
  for (auto& [name, relay] : relays_) {
    relay->flush();
    while (auto a = relay->poll_answer()) {
      engine_->backend_answer(*a, now);
      answered = true;
    }
  }
  return answered;
}

std::optional<TimePoint> IkeRunner::next_deadline() const {
  std::optional<TimePoint> t = engine_->next_timeout();
  for (const auto& [name, relay] : relays_)
    if (auto d = relay->next_timeout(); d && (!t || *d < *t)) t = d;
  if (auto d = tcp_ ? tcp_->next_timeout() : std::nullopt; d && (!t || *d < *t)) t = d;
  return t;
}

bool IkeRunner::keepalive_needless(const ike::Transmit& t, TimePoint now) {
  if (!esp_sent_) return false;
  auto ns = esp_sent_(t.sa);
  if (!ns || *ns <= 0) return false;
  auto wall = std::chrono::duration_cast<std::chrono::nanoseconds>(
                  std::chrono::system_clock::now().time_since_epoch())
                  .count();
  TimePoint at = now - std::chrono::duration_cast<Duration>(
                           std::chrono::nanoseconds(std::max<int64_t>(wall - *ns, 0)));
  if (now - at >= engine_->config().nat_keepalive) return false;
  engine_->keepalive_skipped(t.sa, at);
  return true;
}

Result<void> IkeRunner::run() {
  TimePoint now = EventLoop::now();
  for (const auto& name : options_.initiate) {
    auto sa = engine_->initiate(name, now);
    if (!sa) return sa.error();
  }
  pump(now);
  if (auto r = loop_->run(); !r) return r;
  return shutdown();
}

// RFC 7296 1.4.1: delete every IKE SA and give the peers a moment to answer.
Result<void> IkeRunner::shutdown() {
  TimePoint now = EventLoop::now();
  for (const auto& sa : engine_->list_sas())
    if (sa.state == ike::IkeSaState::established) (void)engine_->terminate(sa.sa, now);
  pump(now);
  TimePoint until = now + options_.shutdown_grace;
  auto alive = [&] {
    for (const auto& sa : engine_->list_sas())
      if (sa.state == ike::IkeSaState::deleting) return true;
    return false;
  };
  loop_->resume(); // a second SIGINT/SIGTERM stops again and ends the wait
  while (alive()) {
    now = EventLoop::now();
    if (now >= until) break;
    auto r = loop_->run_once(until - now);
    if (!r) return r.error();
    if (!*r) break;
  }
  return {};
}

} // namespace ikekit::io
