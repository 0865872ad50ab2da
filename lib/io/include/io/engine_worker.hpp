// One IKE engine on its own thread, for a multi-core responder (IkeRunner threads > 1,
// ike/shard.hpp). The runner's thread reads the sockets and posts each datagram to the
// engine that owns its SA (ike::message_shard); the worker feeds its engine, sends what
// it transmits through `send` (on the worker thread: its own sockets), and queues its
// events for the runner's thread, which delivers them in order (per SA they all come
// from this one engine, so per-SA order holds).
//
// The inbox is a single-producer single-consumer ring of preallocated slots (the bytes
// are copied once; a slot's buffer keeps its capacity, so nothing is allocated per
// datagram once it has grown): a full ring drops the datagram and counts it, as a full
// socket buffer would, and the peer retransmits. Any other access to the engine (the
// control socket, the data plane, shutdown) goes through with_engine(), which holds the
// engine's mutex: the worker holds it only while it handles a wake-up.
#pragma once

#include "base/result.hpp"
#include "base/rng.hpp"
#include "ike/engine.hpp"
#include "io/event_loop.hpp"
#include "io/fd.hpp"

#include <array>
#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

namespace ikekit::io {

class EngineWorker {
public:
  static constexpr size_t kInboxSlots = 1024;
  static constexpr size_t kMaxDatagram = 65536; // an IKE message, UDP's largest payload
  // Called on the worker thread with the engine's mutex held.
  using SendFn = std::function<void(const ike::Transmit& t, ByteView bytes, TimePoint now)>;

  // Starts the thread (it inherits the caller's signal mask: block signals first).
  // `wake_events` is called (on the worker thread) after it queued events.
  static Result<std::unique_ptr<EngineWorker>> start(ike::Config config, TimePoint now, SendFn send,
                                                     std::function<void()> wake_events);
  ~EngineWorker(); // stops and joins the thread
  EngineWorker(const EngineWorker&) = delete;
  EngineWorker& operator=(const EngineWorker&) = delete;

  // Producer side (one thread): copies `d` into the inbox; false when it is full (the
  // datagram is dropped and counted in inbox_drops()). kick_if_idle() once after a
  // batch: it writes the wake-up fd only when the worker is about to sleep or asleep (a
  // busy worker looks at its inbox again before it waits), so under load a hand-off
  // costs no system call and no wake-up.
  bool post(const ike::Datagram& d);
  void kick_if_idle();
  void kick(); // always: with_engine(), stop
  // On the producer's thread, instead of post(): when the worker is asleep, its inbox
  // empty (so nothing posted earlier is overtaken) and its engine's mutex free, `d` is
  // handled right here under that mutex, its answers sent from the worker's sockets and
  // its events queued as the worker's own; the worker is woken only if its engine's
  // next deadline moved before the one it sleeps towards, or `d` took its engine's spare
  // key pair (the worker makes the next, Engine::idle_work). Saves the two thread
  // wake-ups of a hand-off where they are the latency: a lone message. False: post() it.
  bool receive_if_idle(const ike::Datagram& d, TimePoint now);
  // Whether events wait for take_events().
  bool has_events();
  uint64_t inbox_drops() const { return inbox_drops_.load(std::memory_order_relaxed); }

  // Runs `fn(engine)` under the engine's mutex, then wakes the worker so it sends what
  // `fn` queued and rearms its timer.
  template <class Fn> auto with_engine(Fn&& fn) {
    struct Rewake {
      EngineWorker* w;
      ~Rewake() { w->kick(); }
    } rewake{this};
    std::lock_guard<std::mutex> lock(mu_);
    return fn(*engine_);
  }
  // The engine's counters, read under its mutex; unlike with_engine(), the worker is
  // not woken (a reader that only looks changes nothing it must act on).
  ike::Stats engine_stats();
  // Moves the queued events (with the time each was polled) into `out`.
  void take_events(std::vector<std::pair<ike::Event, TimePoint>>& out);

private:
  struct Slot {
    ike::Endpoint local, remote;
    bool nat_t = false;
    std::vector<uint8_t> bytes;
  };

  EngineWorker() = default;
  void run();
  void on_wake(TimePoint now);
  bool inbox_pending() const;
  void before_wait(); // drains the inbox until it is seen empty with idle_ set
  void drain_inbox(TimePoint now);
  void pump(TimePoint now); // with mu_ held

  std::unique_ptr<Rng> rng_; // this thread's own (the runner's is not shared)
  std::unique_ptr<EventLoop> loop_;
  std::unique_ptr<ike::Engine> engine_;
  std::mutex mu_; // the engine
  SendFn send_;
  std::function<void()> wake_events_;
  Fd wake_fd_; // eventfd: inbox, with_engine, stop
  std::atomic<bool> stopping_{false};
  // Set before the inbox is last looked at ahead of a wait, cleared when the wait ends
  // (Dekker's pattern with post(): each side stores, fences, then loads the other's).
  std::atomic<bool> idle_{false};
  std::array<Slot, kInboxSlots> inbox_;
  std::atomic<size_t> head_{0}, tail_{0}; // consumer reads at head, producer writes at tail
  std::atomic<uint64_t> inbox_drops_{0};
  std::vector<uint8_t> tx_;
  std::optional<TimePoint> armed_; // with mu_: the deadline the worker last waits for
  std::mutex events_mu_;
  std::vector<std::pair<ike::Event, TimePoint>> events_;
  std::thread thread_;
};

} // namespace ikekit::io
