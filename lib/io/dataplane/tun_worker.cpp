// The TUN data plane's threads. Each owns one direction (the sending thread TUN -> ESP,
// tun_tx.cpp; the receiving thread ESP -> TUN, tun_rx.cpp) and holds its state's `busy`
// lock per batch. What costs an idle tunnel its latency is not the work but the
// wake-ups: an echo through two ends took five (ping -> sending thread -> peer's
// receiving thread -> peer's sending thread -> our receiving thread -> ping), each a
// sleeping thread the scheduler puts on an idle CPU. Three things cut them:
//
// - A packet written to the device is often answered inside that write(2) (the
//   kernel's echo reply, a TCP ACK): the reply is already queued on the device when
//   the write returns. So after delivering, the receiving thread seals and sends what
//   the device holds itself (if no thread is at work on that direction: try_lock).
// - After moving packets a thread keeps polling both directions (non-blocking reads,
//   the other direction only when its lock is free) for up to `busy_poll` before it
//   sleeps, yielding the CPU to anything runnable between two polls: the answer to what
//   it sent, arriving within that window, is taken without a wake-up. Only after a
//   long sleep, for a short burst (io/dataplane/tun_pacing.hpp); an idle tunnel sleeps
//   in poll() (no timeout): nothing spins without traffic.
// - While traffic is that sparse, the sending thread alone sleeps on both the device
//   and the socket (joint_) and the receiving thread only on its eventfd: a request and
//   its answer stay on one thread, and the sibling is not woken for a packet already
//   taken (it then blocked on the busy lock, or found nothing). A short sleep, a long
//   burst or a full batch hands the socket back to the receiving thread.
//
// Fewer system calls between a sparse packet's arrival and its departure (each costs
// microseconds in a VM): while sparse, a packet read from the device is sealed and sent
// at once, and the read that finds the device empty comes after the send (tx_fill's
// `eager`); the sending thread woken for the socket alone does not read the device
// first. perf trace of an echo through two esp-tunnels: three such reads fewer per echo.
#include "io/dataplane/tun_dataplane.hpp"
#include "io/dataplane/tun_pacing.hpp"
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

// Sleeps until `fd`, `fd2` (either -1: none) or the eventfd is readable. False when
// only `fd2` is: then `fd` need not be read first (true when poll failed, or the
// eventfd fired: the caller then does everything, its commands included).
bool TunDataplane::wait_readable(int fd, int fd2, int wake_fd) {
  pollfd p[3] = {{wake_fd, POLLIN, 0}, {fd, POLLIN, 0}, {fd2, POLLIN, 0}};
  if (::poll(p, 3, -1) <= 0) return true;
  if (p[0].revents & POLLIN) {
    uint64_t n;
    (void)!::read(wake_fd, &n, sizeof n); // reset: the loop looks at stop_ and its commands
    return true;
  }
  return p[1].revents != 0 || p[2].revents == 0;
}

TunDataplane::Work TunDataplane::sending_batch(bool wait, bool eager) {
  return locked(tx_->busy, wait, [this, eager] { return tx_batch(eager); });
}

TunDataplane::Work TunDataplane::receiving_batch(bool wait) {
  if (shared_) return Work::none; // the owner's loop reads the shared socket
  return locked(rx_->busy, wait, [this] { return rx_batch(); });
}

void TunDataplane::answer_delivered() {
  if (!stop_.load(std::memory_order_relaxed)) (void)sending_batch(false);
}

// The loop of either thread: its own direction's batches until the device or socket
// is empty; after the receiving thread's (and each of the sending thread's while it
// serves both), the other direction's; then, while polling (TunPacing), both
// directions again without sleeping; then sleep.
void TunDataplane::worker_loop(bool sending) {
  TunPacing pacing(busy_poll_ns_);
  bool device_ready = true; // false: woke for the socket alone, the device read can wait
  while (!stop_.load(std::memory_order_relaxed)) {
    const bool joint = sending && joint_.load(std::memory_order_relaxed);
    const bool eager = pacing.sparse(monotonic_ns());
    Work own = Work::none;
    if (!sending)
      own = receiving_batch(true);
    else if (device_ready)
      own = sending_batch(true, eager);
    device_ready = true;
    Work other = Work::none;
    if (own != Work::more && (joint || pacing.polling() || (!sending && own != Work::none)))
      other = sending ? receiving_batch(false) : sending_batch(false, eager);
    if (own != Work::none || other != Work::none) {
      const int64_t now = monotonic_ns();
      pacing.moved(now);
      if (sending)
        set_joint(true, pacing.sparse(now), own == Work::more || other == Work::more, now);
      continue;
    }
    if (pacing.poll_again(monotonic_ns())) {
      ::sched_yield(); // whatever else wants this CPU (the pinger, iperf3) runs first
      continue;
    }
    if (stop_.load(std::memory_order_relaxed)) break;
    device_ready = sleep_until_work(sending, pacing);
  }
}

// Sleeps on the thread's descriptors: the sending thread on the device (and, serving
// both directions, the socket), the receiving thread on the socket unless its sibling
// serves both; each also on its eventfd.
bool TunDataplane::sleep_until_work(bool sending, TunPacing& pacing) {
  const int64_t from = monotonic_ns();
  std::atomic<int64_t>& idle_since = sending ? tx_idle_since_ : rx_idle_since_;
  idle_since.store(from, std::memory_order_relaxed);
  const bool joint = joint_.load(std::memory_order_relaxed);
  bool device = true;
  if (sending)
    device = wait_readable(tun_->fd(), joint ? esp_fd_ : -1, tx_wake_fd());
  else
    (void)wait_readable(joint ? -1 : esp_fd_, -1, rx_wake_fd());
  idle_since.store(0, std::memory_order_relaxed);
  const int64_t to = monotonic_ns();
  pacing.woke(from, to);
  set_joint(sending, pacing.sparse(to), false, to);
  return device || !joint_.load(std::memory_order_relaxed);
}

// Whether the sending thread serves both directions from now (serve_jointly, given
// how long the other thread has slept). Either thread may start it: the first packet of
// sparse traffic wakes only one of them (a ping's the sending thread, an echo request
// the receiving one). Only the sending thread ends it, since only it sees the traffic
// meanwhile. Each change signals the thread that must now watch the socket; a thread
// reads joint_ before it sleeps, so a change it missed finds its eventfd readable.
void TunDataplane::set_joint(bool sending, bool sparse, bool full, int64_t now) {
  if (shared_) return; // the owner's loop reads the socket
  const bool was = joint_.load(std::memory_order_relaxed);
  const int64_t other_idle =
      (sending ? rx_idle_since_ : tx_idle_since_).load(std::memory_order_relaxed);
  const bool joint = serve_jointly(was, sparse, full, now, other_idle, busy_poll_ns_);
  if (joint == was || (!sending && !joint)) return;
  joint_.store(joint, std::memory_order_relaxed);
  if (joint && !sending) Channel<TxCommand>::signal(tx_ch_->wake);
  if (!joint) Channel<RxCommand>::signal(rx_ch_->wake);
}

} // namespace ikekit::io::dataplane
