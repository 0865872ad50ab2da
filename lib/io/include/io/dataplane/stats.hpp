// Data plane counters: what each direction delivered and what it dropped, by reason
// (DESIGN 3: a dropped input is a counter). The ESP layer's SealStats / OpenStats are
// summed over every SA a direction has used (current and retired after a rekey),
// plus the drops that happen around the SA (no SA for a packet, a full queue).
//
// Threading: each direction's thread owns its counters and publishes them after
// every batch into a StatsCell (relaxed atomics); stats() reads the cells from any
// thread. No lock on the hot path.
#pragma once

#include "esp/sa.hpp"

#include <atomic>
#include <cstdint>

namespace ikekit::io::dataplane {

// local -> network.
struct OutStats {
  uint64_t packets = 0;      // ESP packets sent
  uint64_t bytes = 0;        // inner (payload) bytes sealed
  uint64_t wire_bytes = 0;   // ESP bytes handed to the socket
  uint64_t no_sa = 0;        // no outbound SA's selectors take the packet (RFC 4301 5.1)
  uint64_t not_ip = 0;       // not an IPv4/IPv6 packet, or its IP header is cut short
  uint64_t sa_exhausted = 0; // sequence space used up (RFC 4303 3.3.3): rekey needed
  uint64_t no_room = 0;
  uint64_t crypto_error = 0;
  uint64_t send_dropped = 0;   // the socket refused the packet (buffer full, error)
  uint64_t seq_unreserved = 0; // held back: its sequence number is not yet reserved on
                               // disk (SeqReservation, esp-tunnel's state file)
};

// network -> local.
struct InStats {
  uint64_t packets = 0; // inner packets delivered
  uint64_t bytes = 0;   // inner bytes delivered
  uint64_t malformed = 0;
  uint64_t unknown_spi = 0;
  uint64_t replay = 0;
  uint64_t too_old = 0;
  uint64_t bad_icv = 0;
  uint64_t bad_padding = 0;
  uint64_t dummy = 0;
  uint64_t crypto_error = 0;
  uint64_t not_esp = 0;         // IKE or keepalive on the ESP socket (not ours to handle)
  uint64_t bad_inner = 0;       // opened, but the payload is not an IP packet for this mode
  uint64_t deliver_dropped = 0; // the TUN queue refused the packet
  // Opened, but outside the SA's traffic selectors (RFC 4301 5.2): by the first
  // selector no pair of the SA matched (source, destination, protocol, ports).
  uint64_t selector_src = 0;
  uint64_t selector_dst = 0;
  uint64_t selector_protocol = 0;
  uint64_t selector_port = 0;
};

struct DataplaneStats {
  OutStats out;
  InStats in;
  // Child SAs refused because their selectors overlap those of another IKE SA's
  // Child SA (one peer never takes another peer's traffic).
  uint64_t sa_refused = 0;
};

// One Child SA's traffic (ikectl list-sas): what its inbound SA opened and its
// outbound SA sealed (inner bytes, as OutStats/InStats count them), and when either
// last moved a packet. Frozen once the SA is retired (rekey) until it is removed.
struct ChildSaCounters {
  uint64_t bytes_in = 0, packets_in = 0;
  uint64_t bytes_out = 0, packets_out = 0;
  int64_t last_used_ns = 0; // wall clock, ns since the Unix epoch; 0: never used (or unknown)
};

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

void add_seal_stats(OutStats& to, const esp::SealStats& s);
void add_open_stats(InStats& to, const esp::OpenStats& s);
// Adds the drops counted around the SAs after opening (`local`: not_esp, bad_inner,
// deliver_dropped, selector_*) and takes the packets the SAs opened but that were
// not delivered (all of those but not_esp) off `to.packets`.
void add_delivery_drops(InStats& to, const InStats& local);

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
