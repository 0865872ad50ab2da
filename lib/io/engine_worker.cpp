#include "io/engine_worker.hpp"

#include "crypto/system_rng.hpp"

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
  w->loop_->set_deadline(
      [self]() -> std::optional<TimePoint> {
        std::lock_guard<std::mutex> lock(self->mu_);
        return self->engine_->next_timeout();
      },
      [self](TimePoint t) {
        std::lock_guard<std::mutex> lock(self->mu_);
        if (auto e = self->engine_->next_timeout(); e && *e <= t) self->engine_->on_timeout(t);
        self->pump(t);
      });
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

void EngineWorker::kick() {
  uint64_t one = 1;
  ssize_t n;
  do {
    n = ::write(wake_fd_.get(), &one, sizeof one);
  } while (n < 0 && errno == EINTR); // EAGAIN: the counter is full, it wakes anyway
}

void EngineWorker::on_wake(TimePoint now) {
  uint64_t v;
  while (::read(wake_fd_.get(), &v, sizeof v) < 0 && errno == EINTR) {
  }
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

void EngineWorker::take_events(std::vector<std::pair<ike::Event, TimePoint>>& out) {
  std::lock_guard<std::mutex> lock(events_mu_);
  for (auto& e : events_)
    out.push_back(std::move(e));
  events_.clear();
}

} // namespace ikekit::io
