// Internal: the engine's deadlines, one per timed object (an IKE SA: the earliest of its
// retransmission, half-open, DPD, rekey, expiry and linger deadlines, sa_deadline() in
// sa_state.cpp), so that next_timeout() is O(1) and on_timeout() touches only what is due.
//
// Why a binary heap with exact removal rather than a hashed timing wheel: the engine's
// clock is virtual (tests and benchmarks step it by any amount, and next_timeout() must
// return the exact earliest deadline, not a wheel slot's), deadlines span milliseconds
// (retransmission) to days (lifetimes), and an SA's deadline moves on most exchanges.
// A heap gives the exact minimum in O(1) and moves an entry in O(log n) without tuning
// a tick or a wheel size; each object keeps its entry's index (TimerSlot), so a moved or
// cancelled deadline leaves no stale entry behind (no lazy deletion, no sweeps: the heap
// holds exactly one entry per armed slot).
#pragma once

#include "base/time.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace ikekit::ike {

class TimerQueue;

// Held by a timed object: where its entry sits in a TimerQueue. Not copyable or movable
// (the queue points at it); destroying it removes the entry, so an object that goes away
// never leaves a deadline behind.
class TimerSlot {
public:
  TimerSlot() = default;
  TimerSlot(const TimerSlot&) = delete;
  TimerSlot& operator=(const TimerSlot&) = delete;
  ~TimerSlot();

  bool armed() const { return queue_ != nullptr; }
  // The armed deadline; nullopt when not armed.
  std::optional<TimePoint> at() const;

private:
  friend class TimerQueue;
  TimerQueue* queue_ = nullptr;
  size_t index_ = 0; // in queue_->heap_
};

class TimerQueue {
public:
  TimerQueue() = default;
  TimerQueue(const TimerQueue&) = delete;
  TimerQueue& operator=(const TimerQueue&) = delete;
  ~TimerQueue(); // disarms every slot still armed

  // Arms `slot` (identified by `key`) at `at`, moves its deadline, or disarms it (nullopt).
  // O(log n). A slot belongs to one queue at a time.
  void set(TimerSlot& slot, uint64_t key, std::optional<TimePoint> at);
  void cancel(TimerSlot& slot);

  // The earliest deadline; nullopt when nothing is armed. O(1).
  std::optional<TimePoint> next() const;
  // The keys of every entry due at `now` (deadline <= now), ascending; the entries stay
  // armed (the caller sets them anew). O(k log k) for k due: only due entries are visited.
  std::vector<uint64_t> due(TimePoint now) const;
  size_t size() const { return heap_.size(); }

private:
  friend class TimerSlot;
  struct Entry {
    TimePoint at;
    uint64_t key;
    TimerSlot* slot;
  };
  // Order: deadline, then key (equal deadlines come out in key order).
  static bool before(const Entry& a, const Entry& b) {
    return a.at < b.at || (a.at == b.at && a.key < b.key);
  }
  void place(size_t i, const Entry& e); // heap_[i] = e, and its slot learns i
  void sift_up(size_t i);
  void sift_down(size_t i);
  void remove_at(size_t i);

  std::vector<Entry> heap_;
};

} // namespace ikekit::ike
