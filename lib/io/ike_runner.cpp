#include "io/ike_runner.hpp"

#include "io/engine_idle_work.hpp"

#include <algorithm>
#include <cerrno>
#include <signal.h>
#include <sys/eventfd.h>
#include <unistd.h>

namespace ikekit::io {

namespace {

constexpr size_t kMaxDatagram = EngineWorker::kMaxDatagram;
constexpr size_t kBatch = IkeRunner::kRecvBatch;
constexpr size_t kHeadroom = IkeRunner::kRecvHeadroom;
// The IKE sockets' receive buffer: a flood of IKE_SA_INIT requests arrives in bursts
// (sendmmsg batches, softirq runs) while this thread may wait for a CPU, and what the
// default (net.core.rmem_default, 208 KiB: a few hundred datagrams, about 2 ms of a
// 100,000/s flood) cannot hold is dropped before anyone sees it, the legitimate
// requests among it alike. 4 MiB holds tens of milliseconds of such a flood; memory is
// charged only for what is queued.
constexpr int kIkeReceiveBuffer = 4 << 20;

// Engine time is steady-clock time; certificates need the wall clock (DESIGN 1: the
// engine never reads it, the runner tells it the offset once).
Duration wall_clock_offset(TimePoint steady_now) {
  auto wall = std::chrono::system_clock::now().time_since_epoch();
  return std::chrono::duration_cast<Duration>(wall) - steady_now.time_since_epoch();
}

} // namespace

std::optional<std::string> check_shardable(const ike::Config& config) {
  for (const auto& p : config.peers) {
    const std::string c = "connection \"" + p.name + "\": ";
    if (!p.pools.empty())
      return c + "address pools (leases are per engine; RFC 7296 2.19 needs one lease table)";
    if (p.unique != ike::UniquePolicy::never)
      return c + "unique " + std::string(ike::unique_policy_name(p.unique)) +
             " (the uniqueness check and INITIAL_CONTACT, RFC 7296 2.4, see one engine's SAs; "
             "use --unique never)";
    if (p.transport != ike::IkeTransport::udp) return c + "TCP transport (RFC 9329)";
  }
  return std::nullopt;
}

ike::Config shard_config(const ike::Config& config, uint32_t index, uint32_t count) {
  ike::Config c = config;
  c.shard = ike::Shard{index, count};
  return c;
}

IkeRunner::~IkeRunner() {
  workers_.clear(); // joins the threads before their sockets close
}

Result<std::unique_ptr<IkeRunner>> IkeRunner::create(IkeRunnerOptions options, Rng& rng,
                                                     EventFn on_event) {
  std::unique_ptr<IkeRunner> r(new IkeRunner());
  auto loop = EventLoop::create();
  if (!loop) return loop.error();
  r->loop_ = std::make_unique<EventLoop>(std::move(*loop));
  TimePoint now = EventLoop::now();
  options.config.wall_clock_offset = wall_clock_offset(now);

  const uint32_t threads = std::max<uint32_t>(options.threads, 1);
  if (threads > ike::kMaxShards)
    return make_error(Errc::usage, "threads",
                      std::to_string(threads) + ": at most " + std::to_string(ike::kMaxShards));
  if (threads > 1) {
    if (!options.radius.empty())
      return make_error(Errc::usage, "threads",
                        std::to_string(threads) + " engines cannot serve EAP relayed to RADIUS");
    if (auto why = check_shardable(options.config))
      return make_error(Errc::usage, "threads",
                        std::to_string(threads) + " engines cannot serve " + *why);
  }
  // One set of half-open counts and one COOKIE secret for every engine and the socket
  // thread's screen (io/engine_dispatcher.hpp).
  if (threads > 1) options.config.admission = std::make_shared<ike::AdmissionState>(rng, now);
  r->engine_ = std::make_unique<ike::Engine>(shard_config(options.config, 0, threads), rng, now);
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
  // The next IKE_SA_INIT's key pair, made while nothing is to be read (Engine::idle_work).
  set_engine_idle_work(*r->loop_, [self]() -> ike::Engine& { return *self->engine_; });
  auto sig =
      r->loop_->on_signals({SIGINT, SIGTERM}, [self](int, TimePoint) { self->loop_->stop(); });
  if (!sig) return sig.error();
  // After on_signals: the threads inherit the blocked mask, so SIGINT/SIGTERM reach the
  // signalfd of this thread's loop and never a worker.
  if (auto w = r->start_workers(now); !w) return w.error();
  if (threads > 1)
    r->dispatcher_ =
        std::make_unique<EngineDispatcher>(*r->engine_, r->workers_, r->options_.config, rng);
  return r;
}

Result<void> IkeRunner::start_workers(TimePoint now) {
  const uint32_t n = std::max<uint32_t>(options_.threads, 1);
  if (n == 1) return {};
  worker_events_fd_.reset(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
  if (!worker_events_fd_) return make_error(Errc::io, "eventfd", "cannot create an eventfd");
  auto added = loop_->add_reader(worker_events_fd_.get(), [this](TimePoint) {
    uint64_t v;
    while (::read(worker_events_fd_.get(), &v, sizeof v) < 0 && errno == EINTR) {
    }
    deliver_worker_events();
  });
  if (!added) return added.error();
  loop_->set_wait_hooks([this] { deliver_before_wait(); },
                        [this] { runner_idle_.store(false, std::memory_order_relaxed); });
  worker_bound_.resize(n - 1);
  for (uint32_t i = 1; i < n; ++i) {
    std::vector<Bound>& mine = worker_bound_[i - 1];
    for (const auto& b : bound_) {
      auto ike = b.ike->duplicate();
      if (!ike) return ike.error();
      auto natt = b.nat_t->duplicate();
      if (!natt) return natt.error();
      mine.push_back(Bound{b.address, std::make_unique<UdpSocket>(std::move(*ike)),
                           std::make_unique<UdpSocket>(std::move(*natt))});
    }
    auto send = [&mine](const ike::Transmit& t, ByteView bytes, TimePoint) {
      for (auto& b : mine) {
        if (!(b.address == t.local.address)) continue;
        UdpSocket& s = t.nat_t ? *b.nat_t : *b.ike;
        (void)s.send(SendSlot{bytes, t.remote, t.local.address,
                              t.nat_t && !t.keepalive}); // the engine retransmits a drop
        return;
      }
    };
    int fd = worker_events_fd_.get();
    std::atomic<bool>* runner_idle = &runner_idle_;
    auto wake = [fd, runner_idle] {
      // The events are in (under the worker's mutex, which deliver_before_wait() takes
      // after it set the flag): a runner that is not idle looks before it waits.
      if (!runner_idle->load(std::memory_order_seq_cst)) return;
      uint64_t one = 1;
      while (::write(fd, &one, sizeof one) < 0 && errno == EINTR) {
      }
    };
    auto w = EngineWorker::start(shard_config(options_.config, i, n), now, send, wake);
    if (!w) return w.error();
    workers_.push_back(std::move(*w));
  }
  return {};
}

// Worker events in the order each worker polled them: one engine owns an SA, so its
// events keep their order.
void IkeRunner::deliver_worker_events() {
  worker_events_.clear();
  for (auto& w : workers_)
    w->take_events(worker_events_);
  for (const auto& [e, at] : worker_events_)
    on_event_(e, at);
}

void IkeRunner::deliver_before_wait() {
  for (;;) {
    runner_idle_.store(true, std::memory_order_seq_cst);
    bool waiting = std::any_of(workers_.begin(), workers_.end(),
                               [](const auto& w) { return w->has_events(); });
    if (!waiting) return;
    runner_idle_.store(false, std::memory_order_relaxed);
    deliver_worker_events();
  }
}

void IkeRunner::with_engine_of(ike::SaId sa, const std::function<void(ike::Engine&)>& fn) {
  uint32_t owner = ike::sa_shard(sa, engine_count());
  if (owner == 0) return fn(*engine_); // sent at this thread's next pump(), as engine()
  workers_[owner - 1]->with_engine(fn);
}

void IkeRunner::for_each_engine(const std::function<void(ike::Engine&)>& fn) {
  fn(*engine_);
  for (auto& w : workers_)
    w->with_engine(fn);
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
  auto ike = UdpSocket::open({.local = {local, ike_port}, .rcvbuf_bytes = kIkeReceiveBuffer});
  if (!ike) return ike.error();
  b.ike = std::make_unique<UdpSocket>(std::move(*ike));
  auto natt = UdpSocket::open({.local = {local, options_.config.nat_t_port},
                               .nat_t = true,
                               .rcvbuf_bytes = kIkeReceiveBuffer});
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
  SendSlot answers[kBatch]; // COOKIEs the dispatcher answered, sent as one batch
  size_t answered = 0;
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
      if (!dispatcher_) {
        engine_->receive(d, now);
      } else if (dispatcher_->dispatch(d, now, *n == 1) == EngineDispatcher::Route::answered) {
        ByteView a = dispatcher_->answer();
        MutBytes keep(answer_tx_.data() + answered * ike::InitScreen::kMaxAnswer, a.size());
        std::copy(a.begin(), a.end(), keep.begin());
        answers[answered++] = SendSlot{keep, d.remote, d.local.address, d.nat_t};
      }
      break;
    }
    case wire::UdpKind::esp:
      esp = true;
      break;
    }
  }
  if (dispatcher_) dispatcher_->kick_posted();
  // Stateless answers: what the kernel does not take now is lost, and asked for again.
  if (answered) (void)s.send_batch(std::span<const SendSlot>(answers, answered));
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
  for_each_engine([now](ike::Engine& e) {
    for (const auto& sa : e.list_sas())
      if (sa.state == ike::IkeSaState::established) (void)e.terminate(sa.sa, now);
  });
  pump(now);
  TimePoint until = now + options_.shutdown_grace;
  auto alive = [&] {
    bool deleting = false;
    for_each_engine([&](ike::Engine& e) {
      for (const auto& sa : e.list_sas())
        if (sa.state == ike::IkeSaState::deleting) deleting = true;
    });
    return deleting;
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
