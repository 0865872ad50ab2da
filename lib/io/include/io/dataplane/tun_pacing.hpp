// When the TUN data plane's threads poll instead of sleeping, and when one thread serves
// both directions (lib/io/dataplane/tun_worker.cpp). Sans-I/O: monotonic times in, decisions
// out; one object per thread.
//
// Polling pays only for sparse traffic (an echo, a request and its answer), where every
// packet would otherwise cost a wake-up. So a thread polls only after a sleep of at
// least kSparseSleep x busy_poll, and only for the first kSparseBurst x busy_poll of
// the burst that follows; a bulk flow (short sleeps, long bursts) runs without polling,
// its wake-ups amortised over full batches, and spends no CPU on spinning.
//
// The same test says when one thread may serve both directions (joint): while traffic
// is sparse, a request and its answer then never cross threads, and the other thread
// is never woken for a packet its sibling already took (perf sched: an echo through two
// esp-tunnels woke the far end's idle sending thread, which then blocked on the busy
// lock its sibling held, and our idle receiving thread, whose work the polling sibling
// had done). Bulk traffic goes back to one thread per direction, both cores busy.
#pragma once

#include <cstdint>

namespace ikekit::io::dataplane {

class TunPacing {
public:
  static constexpr int64_t kSparseSleep = 5;  // x busy_poll: a sleep this long means sparse
  static constexpr int64_t kSparseBurst = 10; // x busy_poll: a burst longer is bulk

  explicit TunPacing(int64_t busy_poll_ns) : poll_ns_(busy_poll_ns) {}

  // The thread slept from `from` until `to`.
  void woke(int64_t from, int64_t to) {
    woke_ = to;
    sparse_ = poll_ns_ > 0 && to - from >= kSparseSleep * poll_ns_;
    spin_until_ = 0;
  }
  // Traffic is sparse at `now`: the last sleep was long and the burst since is short.
  bool sparse(int64_t now) const { return sparse_ && now - woke_ < kSparseBurst * poll_ns_; }
  // A batch moved packets at `now`: poll on until busy_poll after it, if sparse.
  void moved(int64_t now) { spin_until_ = sparse(now) ? now + poll_ns_ : 0; }
  // Whether the thread is within a polling window (it then polls both directions).
  bool polling() const { return spin_until_ != 0; }
  // Nothing moved at `now`: true to poll again, false to sleep (the window is over).
  bool poll_again(int64_t now) {
    if (spin_until_ != 0 && now < spin_until_) return true;
    spin_until_ = 0;
    return false;
  }

private:
  int64_t poll_ns_;
  int64_t woke_ = 0;
  int64_t spin_until_ = 0; // 0: not polling
  bool sparse_ = false;
};

// Whether one thread serves both directions now. `joint`: the current mode; `sparse`:
// the deciding thread's TunPacing::sparse(now); `full`: its last batch filled;
// `other_idle_since`: when the other thread last went to sleep (0: it is at work).
inline bool serve_jointly(bool joint, bool sparse, bool full, int64_t now, int64_t other_idle_since,
                          int64_t busy_poll_ns) {
  if (!sparse || full) return false;
  if (joint) return true;
  return other_idle_since != 0 && now - other_idle_since >= TunPacing::kSparseSleep * busy_poll_ns;
}

} // namespace ikekit::io::dataplane
