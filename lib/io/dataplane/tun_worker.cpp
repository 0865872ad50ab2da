// The TUN data plane's threads. Each owns one direction (the sending thread TUN -> ESP,
// tun_tx.cpp; the receiving thread ESP -> TUN, tun_rx.cpp) and holds its state's `busy`
// lock per batch. What costs an idle tunnel its latency is not the work but the
// wake-ups: an echo through two ends took five (ping -> sending thread -> peer's
// receiving thread -> peer's sending thread -> our receiving thread -> ping), each a
// sleeping thread the scheduler puts on an idle CPU. Two things cut them:
//
// - A packet written to the device is often answered inside that write(2) (the
//   kernel's echo reply, a TCP ACK): the reply is already queued on the device when
//   the write returns. So after delivering, the receiving thread seals and sends what
//   the device holds itself (if no thread is at work on that direction: try_lock), and
//   the sending thread of that end needs no wake-up.
// - After moving packets a thread keeps polling both directions (non-blocking reads,
//   the other direction only when its lock is free) for up to `busy_poll` before it
//   sleeps, yielding the CPU to anything runnable between two polls: the answer to what
//   it sent, arriving within that window, is taken without a wake-up. Only after a
//   long sleep, for a short burst (worker_loop); an idle tunnel sleeps in poll() (no
//   timeout): nothing spins without traffic.
#include "io/dataplane/tun_dataplane.hpp"
#include "tun_state.hpp"

#include <ctime>
#include <poll.h>
#include <sched.h>
#include <unistd.h>

namespace ikekit::io::dataplane {

namespace {

int64_t monotonic_ns() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

// Runs `batch` under `busy`: waiting for it (the thread's own direction) or only if
// no other thread is at work on that direction (a value-initialised result otherwise).
template <typename Batch> auto locked(std::mutex& busy, bool wait, Batch&& batch) {
  std::unique_lock lock(busy, std::defer_lock);
  if (wait)
    lock.lock();
  else if (!lock.try_lock())
    return decltype(batch()){};
  return batch();
}

} // namespace

void TunDataplane::wait_readable(int fd, int wake_fd) {
  pollfd p[2] = {{fd, POLLIN, 0}, {wake_fd, POLLIN, 0}};
  if (::poll(p, 2, -1) > 0 && (p[1].revents & POLLIN)) {
    uint64_t n;
    (void)!::read(wake_fd, &n, sizeof n); // reset: the loop looks at stop_ and its commands
  }
}

TunDataplane::Work TunDataplane::sending_batch(bool wait) {
  return locked(tx_->busy, wait, [this] { return tx_batch(); });
}

TunDataplane::Work TunDataplane::receiving_batch(bool wait) {
  if (shared_) return Work::none; // the owner's loop reads the shared socket
  return locked(rx_->busy, wait, [this] { return rx_batch(); });
}

void TunDataplane::answer_delivered() {
  if (!stop_.load(std::memory_order_relaxed)) (void)sending_batch(false);
}

// The loop of either thread: its own direction's batches until the device or socket
// is empty; after the receiving thread's, the answers the device holds; then, for
// busy_poll_ns_ after the last packet moved, both directions without sleeping; then
// sleep on its own descriptor and wake-up eventfd.
//
// Adaptive: polling pays only for sparse traffic (an echo, a request and its answer),
// where every packet would otherwise cost a wake-up. So a thread polls only after a
// sleep of at least 5 x busy_poll, and only for the first 10 x busy_poll of the burst
// that follows; a bulk flow (short sleeps, long bursts) runs as without polling, its
// wake-ups amortised over full batches, and spends no CPU on spinning.
void TunDataplane::worker_loop(bool sending) {
  int64_t spin_until = 0; // 0: not polling
  bool sparse = false;    // the last sleep was long: this burst may poll
  int64_t woke = 0;       // when the last sleep ended
  while (!stop_.load(std::memory_order_relaxed)) {
    Work own = sending ? sending_batch(true) : receiving_batch(true);
    if (own == Work::more) continue;
    Work other = Work::none;
    if (spin_until != 0 || (!sending && own != Work::none))
      other = sending ? receiving_batch(false) : sending_batch(false);
    if (own != Work::none || other != Work::none) {
      const int64_t now = monotonic_ns();
      spin_until = sparse && now - woke < 10 * busy_poll_ns_ ? now + busy_poll_ns_ : 0;
      continue;
    }
    if (spin_until != 0 && monotonic_ns() < spin_until) {
      ::sched_yield(); // whatever else wants this CPU (the pinger, iperf3) runs first
      continue;
    }
    spin_until = 0;
    if (stop_.load(std::memory_order_relaxed)) break;
    const int64_t slept = monotonic_ns();
    if (sending)
      wait_readable(tun_->fd(), tx_wake_fd());
    else
      wait_readable(esp_fd_, rx_wake_fd());
    woke = monotonic_ns();
    sparse = busy_poll_ns_ > 0 && woke - slept >= 5 * busy_poll_ns_;
  }
}

} // namespace ikekit::io::dataplane
