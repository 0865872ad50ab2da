// Data plane counters as the I/O layer publishes them. The counters themselves
// (OutStats, InStats, ChildSaCounters) are the sans-I/O pipeline's
// (esp/dataplane_stats.hpp).
//
// Threading: each direction's thread owns its counters and publishes them after
// every batch into a StatsCell (relaxed atomics); stats() reads the cells from any
// thread. No lock on the hot path.
#pragma once

#include "esp/dataplane_stats.hpp"

#include <atomic>
#include <cstdint>

namespace ikekit::io::dataplane {

using esp::add_delivery_drops;
using esp::ChildSaCounters;
using esp::DataplaneStats;
using esp::InStats;
using esp::OutStats;

// One SA direction's published counters: written by the thread that owns the SA after
// a batch in which they changed, read by the control side (relaxed atomics).
struct SaCell {
  std::atomic<uint64_t> bytes{0}, packets{0};
  std::atomic<int64_t> last_used_ns{0};
  // Stores `packets`/`bytes` when they moved; `now_ns()` is called at most once per
  // change (the caller passes a lazily read clock).
  template <typename Clock> void update(uint64_t new_packets, uint64_t new_bytes, Clock&& now_ns) {
    if (packets.load(std::memory_order_relaxed) == new_packets) return;
    bytes.store(new_bytes, std::memory_order_relaxed);
    packets.store(new_packets, std::memory_order_relaxed);
    last_used_ns.store(now_ns(), std::memory_order_relaxed);
  }
};

// A published copy of one direction's counters. T is OutStats or InStats, read as
// an array of uint64_t (both are nothing but uint64_t fields).
template <typename T> class StatsCell {
public:
  static constexpr size_t kFields = sizeof(T) / sizeof(uint64_t);
  static_assert(sizeof(T) == kFields * sizeof(uint64_t));

  void publish(const T& s) {
    const uint64_t* src = reinterpret_cast<const uint64_t*>(&s);
    for (size_t i = 0; i < kFields; ++i)
      cells_[i].store(src[i], std::memory_order_relaxed);
  }
  T load() const {
    T s;
    uint64_t* dst = reinterpret_cast<uint64_t*>(&s);
    for (size_t i = 0; i < kFields; ++i)
      dst[i] = cells_[i].load(std::memory_order_relaxed);
    return s;
  }

private:
  std::atomic<uint64_t> cells_[kFields] = {};
};

} // namespace ikekit::io::dataplane
