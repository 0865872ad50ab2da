#include "io/event_loop.hpp"

#include "io/netlink_socket.hpp" // errno_text

#include <array>
#include <cerrno>
#include <climits>
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>
#include <utility>

namespace ikekit::io {

namespace {
Error loop_error(std::string_view op, int err) {
  return make_error(Errc::io, "event_loop",
                    "event loop: " + std::string(op) + ": " + errno_text(err));
}
} // namespace

Result<EventLoop> EventLoop::create() {
  EventLoop l;
  l.epfd_.reset(epoll_create1(EPOLL_CLOEXEC));
  if (!l.epfd_) return loop_error("epoll_create1", errno);
  return l;
}

EventLoop::EventLoop(EventLoop&& o) noexcept
    : epfd_(std::move(o.epfd_)), sigfd_(std::move(o.sigfd_)),
      restore_mask_(std::exchange(o.restore_mask_, false)), old_mask_(o.old_mask_),
      stopped_(o.stopped_), readers_(std::move(o.readers_)), on_signal_(std::move(o.on_signal_)),
      next_deadline_(std::move(o.next_deadline_)), on_deadline_(std::move(o.on_deadline_)),
      before_wait_(std::move(o.before_wait_)), after_wait_(std::move(o.after_wait_)) {}

EventLoop::~EventLoop() {
  // The signalfd goes before the old mask returns, as it always did.
  sigfd_.reset();
  epfd_.reset();
  if (restore_mask_) pthread_sigmask(SIG_SETMASK, &old_mask_, nullptr);
}

TimePoint EventLoop::now() {
  return std::chrono::time_point_cast<Duration>(std::chrono::steady_clock::now());
}

Result<void> EventLoop::add_reader(int fd, ReadyFn fn) {
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = fd;
  if (epoll_ctl(epfd_.get(), EPOLL_CTL_ADD, fd, &ev) < 0)
    return loop_error("add fd " + std::to_string(fd), errno);
  readers_[fd] = std::make_shared<ReadyFn>(std::move(fn));
  return {};
}

Result<void> EventLoop::watch_writable(int fd, bool on) {
  epoll_event ev{};
  ev.events = on ? uint32_t(EPOLLIN | EPOLLOUT) : uint32_t(EPOLLIN);
  ev.data.fd = fd;
  if (epoll_ctl(epfd_.get(), EPOLL_CTL_MOD, fd, &ev) < 0)
    return loop_error("watch fd " + std::to_string(fd), errno);
  return {};
}

Result<void> EventLoop::remove(int fd) {
  if (readers_.erase(fd) == 0)
    return make_error(Errc::not_found, "event_loop",
                      "event loop: fd " + std::to_string(fd) + " is not registered");
  epoll_ctl(epfd_.get(), EPOLL_CTL_DEL, fd, nullptr);
  return {};
}

Result<void> EventLoop::on_signals(std::initializer_list<int> signals, SignalFn fn) {
  if (sigfd_)
    return make_error(Errc::usage, "event_loop", "event loop: signals are already handled");
  sigset_t set;
  sigemptyset(&set);
  for (int s : signals)
    sigaddset(&set, s);
  if (int err = pthread_sigmask(SIG_BLOCK, &set, &old_mask_); err != 0)
    return loop_error("pthread_sigmask", err);
  restore_mask_ = true;
  sigfd_.reset(signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC));
  if (!sigfd_) return loop_error("signalfd", errno);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = sigfd_.get();
  if (epoll_ctl(epfd_.get(), EPOLL_CTL_ADD, sigfd_.get(), &ev) < 0)
    return loop_error("add signalfd", errno);
  on_signal_ = std::move(fn);
  return {};
}

void EventLoop::set_deadline(DeadlineFn next, ReadyFn fire) {
  next_deadline_ = std::move(next);
  on_deadline_ = std::move(fire);
}

void EventLoop::set_wait_hooks(std::function<void()> before, std::function<void()> after) {
  before_wait_ = std::move(before);
  after_wait_ = std::move(after);
}

void EventLoop::set_idle_work(std::function<bool()> pending, ReadyFn work) {
  idle_pending_ = std::move(pending);
  idle_work_ = std::move(work);
}

namespace {

// epoll_wait's timeout for waiting until `deadline` (or `max_wait` from now, the earlier).
int wait_timeout_ms(std::optional<TimePoint> deadline, std::optional<Duration> max_wait,
                    TimePoint start) {
  std::optional<Duration> wait = max_wait;
  if (deadline) {
    Duration until = *deadline > start ? *deadline - start : Duration::zero();
    if (!wait || until < *wait) wait = until;
  }
  if (!wait) return -1;
  // Round up so a deadline 0.3 ms away does not spin with timeout 0.
  auto ms = std::chrono::ceil<std::chrono::milliseconds>(*wait).count();
  return ms > INT_MAX ? INT_MAX : int(ms);
}

} // namespace

Result<bool> EventLoop::run_once(std::optional<Duration> max_wait) {
  if (stopped_) return false;
  if (before_wait_) before_wait_();
  TimePoint start = now();
  std::optional<TimePoint> deadline;
  if (next_deadline_) deadline = next_deadline_();
  int timeout_ms = wait_timeout_ms(deadline, max_wait, start);
  std::array<epoll_event, 64> events;
  int n = -1;
  if (timeout_ms != 0 && idle_pending_ && idle_pending_()) {
    n = epoll_wait(epfd_.get(), events.data(), int(events.size()), 0);
    if (n == 0) { // nothing to read: the idle work now, then the wait it took from
      idle_work_(now());
      TimePoint after = now();
      if (max_wait) max_wait = *max_wait > after - start ? *max_wait - (after - start) : Duration{};
      timeout_ms = wait_timeout_ms(deadline, max_wait, after);
      n = -1;
    }
  }
  if (n < 0) n = epoll_wait(epfd_.get(), events.data(), int(events.size()), timeout_ms);
  if (after_wait_) after_wait_();
  if (n < 0) {
    if (errno == EINTR) return !stopped_;
    return loop_error("epoll_wait", errno);
  }
  TimePoint t = now();
  for (int i = 0; i < n && !stopped_; ++i) {
    int fd = events[size_t(i)].data.fd;
    if (fd == sigfd_.get()) {
      signalfd_siginfo si;
      while (::read(sigfd_.get(), &si, sizeof si) == ssize_t(sizeof si))
        if (on_signal_) on_signal_(int(si.ssi_signo), t);
      continue;
    }
    auto it = readers_.find(fd);
    if (it == readers_.end()) continue;       // removed by an earlier callback
    std::shared_ptr<ReadyFn> fn = it->second; // keeps it alive if it removes itself
    (*fn)(t);
  }
  if (!stopped_ && deadline && on_deadline_) {
    t = now();
    if (t >= *deadline) on_deadline_(t);
  }
  return !stopped_;
}

Result<void> EventLoop::run() {
  for (;;) {
    auto r = run_once();
    if (!r) return r.error();
    if (!*r) return {};
  }
}

} // namespace ikekit::io
