#include "io/engine_worker.hpp"

#include "crypto/system_rng.hpp"
#include "io/engine_idle_work.hpp"

#include <cerrno>
#include <sys/eventfd.h>
#include <unistd.h>

namespace ikekit::io {

Result<std::unique_ptr<EngineWorker>> EngineWorker::start(ike::Config config, TimePoint now,
                                                          SendFn send,
                                                          std::function<void()> wake_events) {
  std::unique_ptr<EngineWorker> w(new EngineWorker());
  auto loop = EventLoop::create();
  if (!loop) return loop.error();
  w->loop_ = std::make_unique<EventLoop>(std::move(*loop));
  w->wake_fd_.reset(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
  if (!w->wake_fd_) return make_error(Errc::io, "eventfd", "cannot create an eventfd");
  w->rng_ = std::make_unique<crypto::SystemRng>();
  w->engine_ = std::make_unique<ike::Engine>(std::move(config), *w->rng_, now);
  w->send_ = std::move(send);
  w->wake_events_ = std::move(wake_events);
  w->tx_.resize(kMaxDatagram);
  for (auto& s : w->inbox_)
    s.bytes.reserve(2048);
  EngineWorker* self = w.get();
  auto added = w->loop_->add_reader(w->wake_fd_.get(), [self](TimePoint t) { self->on_wake(t); });
  if (!added) return added.error();
  w->loop_->set_wait_hooks([self] { self->before_wait(); },
                           [self] { self->idle_.store(false, std::memory_order_relaxed); });
  w->loop_->set_deadline(
      [self]() -> std::optional<TimePoint> {
        std::lock_guard<std::mutex> lock(self->mu_);
        self->armed_ = self->engine_->next_timeout();
        return self->armed_;
      },
      [self](TimePoint t) {
        std::lock_guard<std::mutex> lock(self->mu_);
        if (auto e = self->engine_->next_timeout(); e && *e <= t) self->engine_->on_timeout(t);
        self->pump(t);
      });
  set_engine_idle_work(
      *w->loop_, [self]() -> ike::Engine& { return *self->engine_; }, &w->mu_, w->rng_.get());
  w->thread_ = std::thread([self] { self->run(); });
  return w;
}

EngineWorker::~EngineWorker() {
  stopping_.store(true);
  kick();
  if (thread_.joinable()) thread_.join();
}

void EngineWorker::run() {
  while (!stopping_.load()) {
    auto r = loop_->run_once();
    if (!r) return; // epoll failed: nothing this thread can do (the runner goes on)
  }
}

bool EngineWorker::post(const ike::Datagram& d) {
  size_t tail = tail_.load(std::memory_order_relaxed);
  if (tail - head_.load(std::memory_order_acquire) >= kInboxSlots) {
    inbox_drops_.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  Slot& s = inbox_[tail % kInboxSlots];
  s.local = d.local;
  s.remote = d.remote;
  s.nat_t = d.nat_t;
  s.bytes.assign(d.data.begin(), d.data.end());
  tail_.store(tail + 1, std::memory_order_release);
  return true;
}

void EngineWorker::kick_if_idle() {
  std::atomic_thread_fence(std::memory_order_seq_cst); // the tail store before the load
  if (idle_.load(std::memory_order_relaxed)) kick();
}

void EngineWorker::kick() {
  uint64_t one = 1;
  ssize_t n;
  do {
    n = ::write(wake_fd_.get(), &one, sizeof one);
  } while (n < 0 && errno == EINTR); // EAGAIN: the counter is full, it wakes anyway
}

bool EngineWorker::receive_if_idle(const ike::Datagram& d, TimePoint now) {
  if (!idle_.load(std::memory_order_relaxed)) return false;
  std::unique_lock<std::mutex> lock(mu_, std::try_to_lock);
  if (!lock.owns_lock() || inbox_pending()) return false;
  engine_->receive(d, now);
  pump(now);
  auto t = engine_->next_timeout();
  bool rearm = t && (!armed_ || *t < *armed_);
  // An IKE_SA_INIT handled here took the engine's spare key pair (Engine::idle_work): the
  // worker, asleep since before it, would sleep on without making the next one, and the
  // next handshake of this engine would pay for its own. Woken, it makes it on its core.
  bool spare_taken = engine_->has_idle_work();
  lock.unlock();
  if (rearm || spare_taken) kick();
  return true;
}

bool EngineWorker::inbox_pending() const {
  return head_.load(std::memory_order_relaxed) != tail_.load(std::memory_order_acquire);
}

void EngineWorker::before_wait() {
  for (;;) {
    idle_.store(true, std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_seq_cst); // the flag before the tail load
    if (!inbox_pending()) return; // a post() from now on sees idle_ and kicks
    idle_.store(false, std::memory_order_relaxed);
    drain_inbox(EventLoop::now());
  }
}

void EngineWorker::on_wake(TimePoint now) {
  uint64_t v;
  while (::read(wake_fd_.get(), &v, sizeof v) < 0 && errno == EINTR) {
  }
  drain_inbox(now);
}

void EngineWorker::drain_inbox(TimePoint now) {
  std::lock_guard<std::mutex> lock(mu_);
  size_t head = head_.load(std::memory_order_relaxed);
  size_t tail = tail_.load(std::memory_order_acquire);
  for (; head != tail; ++head) {
    const Slot& s = inbox_[head % kInboxSlots];
    ike::Datagram d;
    d.local = s.local;
    d.remote = s.remote;
    d.nat_t = s.nat_t;
    d.data = ByteView(s.bytes.data(), s.bytes.size());
    engine_->receive(d, now);
    head_.store(head + 1, std::memory_order_release); // the slot is free again
  }
  pump(now);
}

void EngineWorker::pump(TimePoint now) {
  while (auto t = engine_->poll_transmit(tx_))
    send_(*t, ByteView(tx_.data(), t->size), now);
  bool queued = false;
  {
    std::lock_guard<std::mutex> lock(events_mu_);
    while (auto e = engine_->poll_event()) {
      events_.emplace_back(std::move(*e), now);
      queued = true;
    }
  }
  if (queued && wake_events_) wake_events_();
}

ike::Stats EngineWorker::engine_stats() {
  std::lock_guard<std::mutex> lock(mu_);
  return engine_->stats();
}

bool EngineWorker::has_events() {
  std::lock_guard<std::mutex> lock(events_mu_);
  return !events_.empty();
}

void EngineWorker::take_events(std::vector<std::pair<ike::Event, TimePoint>>& out) {
  std::lock_guard<std::mutex> lock(events_mu_);
  for (auto& e : events_)
    out.push_back(std::move(e));
  events_.clear();
}

} // namespace ikekit::io
