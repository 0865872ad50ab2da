// The one event loop (DESIGN 1): waits with epoll for the earliest of fd readiness,
// the caller's next deadline (an engine's next_timeout()) and a signal (signalfd),
// then calls back with the time it read from steady_clock. Engines never read a
// clock; this is where TimePoints come from.
//
//   auto loop = EventLoop::create();
//   loop->add_reader(sock.fd(), [&](TimePoint now) { ...recv_batch, engine.receive... });
//   loop->set_deadline([&] { return engine.next_timeout(); },
//                      [&](TimePoint now) { engine.on_timeout(now); });
//   loop->on_signals({SIGINT, SIGTERM}, [&](int, TimePoint) { loop->stop(); });
//   loop->run();
#pragma once

#include "base/result.hpp"
#include "base/time.hpp"
#include "io/fd.hpp"

#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <signal.h>
#include <unordered_map>

namespace ikekit::io {

class EventLoop {
public:
  using ReadyFn = std::function<void(TimePoint now)>;
  using SignalFn = std::function<void(int signo, TimePoint now)>;
  using DeadlineFn = std::function<std::optional<TimePoint>()>;

  static Result<EventLoop> create();

  EventLoop(EventLoop&& o) noexcept;
  EventLoop& operator=(EventLoop&&) = delete;
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;
  ~EventLoop();

  static TimePoint now(); // steady_clock

  // Calls `fn` whenever `fd` is readable (level-triggered: drain or be called again).
  Result<void> add_reader(int fd, ReadyFn fn);
  Result<void> remove(int fd);
  // Calls the fd's reader callback also when `fd` is writable (on), or no longer (off):
  // a stream socket with a partial write pending (level-triggered too).
  Result<void> watch_writable(int fd, bool on);

  // Blocks `signals` for this thread (pthread_sigmask) and delivers them through a
  // signalfd; the old mask is restored when the loop is destroyed. Typical set:
  // SIGINT, SIGTERM (stop), SIGUSR1 (dump stats), SIGHUP (reload). One call per loop.
  Result<void> on_signals(std::initializer_list<int> signals, SignalFn fn);

  // `next` is asked before every wait; when the time it returns has come, `fire`
  // runs. nullopt means "no deadline".
  void set_deadline(DeadlineFn next, ReadyFn fire);
  // `before` runs at the start of every run_once(), before the deadline is asked for and
  // the wait; `after` when the wait is over. A thread that other threads wake through an
  // fd marks itself asleep in `before` and awake in `after`, so they write the fd only
  // when it would otherwise sleep through their work (io/engine_worker.hpp).
  void set_wait_hooks(std::function<void()> before, std::function<void()> after);
  // Work for idle moments (an engine's idle_work(): the next IKE_SA_INIT's key pair).
  // When `pending` says there is some and the loop would wait, it first looks without
  // waiting; if nothing is ready, `work` runs once and then the loop waits. A busy loop
  // pays nothing for it (what is ready is handled first), an idle one one extra look.
  void set_idle_work(std::function<bool()> pending, ReadyFn work);

  // One wait: at most `max_wait` (nullopt: until something happens), then the
  // callbacks that are due. Returns false once stop() was called.
  Result<bool> run_once(std::optional<Duration> max_wait = std::nullopt);
  // run_once until stop().
  Result<void> run();
  void stop() { stopped_ = true; }
  // Lets run_once() wait again after stop() (e.g. to await answers while shutting down).
  void resume() { stopped_ = false; }
  bool stopped() const { return stopped_; }

private:
  EventLoop() = default;

  Fd epfd_;
  Fd sigfd_;
  bool restore_mask_ = false;
  sigset_t old_mask_{};
  bool stopped_ = false;
  std::unordered_map<int, std::shared_ptr<ReadyFn>>
      readers_; // shared: a callback may remove itself
  SignalFn on_signal_;
  DeadlineFn next_deadline_;
  ReadyFn on_deadline_;
  std::function<void()> before_wait_, after_wait_;
  std::function<bool()> idle_pending_;
  ReadyFn idle_work_;
};

} // namespace ikekit::io
