// The sending side of `ike-bench flood`: IKE_SA_INIT requests from spoofed IPv4 source
// addresses, written whole (IPv4 + UDP + IKE) to a raw socket with IP_HDRINCL, as fast
// as one thread can (one core), or paced to a rate cap.
//
// Every datagram is a copy of one real request of ike-bench's initiator engine
// (first_ike_sa_init): a valid SA, KE and Ni the responder must process, with a fresh
// random SPIi (so each is a new half-open IKE SA for the responder, RFC 7296 2.6) and a
// random source address from the prefix. Source port 500 to port 500; the UDP checksum
// is 0 (none, allowed over IPv4 by RFC 768); the kernel fills in the IPv4 total length,
// identification and checksum (raw(7)). The sender never reads: a spoofed source cannot
// see the responder's answer, COOKIE included, which is what the flood models.
#pragma once

#include "base/bytes.hpp"
#include "base/ip_address.hpp"
#include "base/result.hpp"

#include <atomic>
#include <cstdint>
#include <memory>
#include <thread>

namespace ikekit::bench {

// An IPv4 address as a host-order integer (10.0.0.1 -> 0x0a000001), for prefix arithmetic.
inline uint32_t ipv4_host_order(const IpAddress& a) {
  ByteView b = a.bytes();
  return uint32_t(b[0]) << 24 | uint32_t(b[1]) << 16 | uint32_t(b[2]) << 8 | b[3];
}

struct FloodSenderOptions {
  uint32_t source_base = 0; // host order, the prefix's first address
  uint8_t source_len = 16;  // prefix length, 8..32
  IpAddress destination;    // the responder (IPv4)
  uint16_t port = 500;
  Bytes request;       // an IKE_SA_INIT request (the template)
  double rate_pps = 0; // cap; 0: as fast as the thread can send
};

struct FloodTotals {
  uint64_t sent = 0;        // datagrams the kernel took
  uint64_t send_errors = 0; // sendmmsg failures (e.g. ENOBUFS); the batch is not resent
  double seconds = 0;       // from start() to stop()
};

class FloodSender {
public:
  // Opens the raw socket in the calling thread's network namespace (needs CAP_NET_RAW).
  static Result<std::unique_ptr<FloodSender>> open(FloodSenderOptions options);
  ~FloodSender();
  FloodSender(const FloodSender&) = delete;
  FloodSender& operator=(const FloodSender&) = delete;

  // Starts the sending thread (stop signals blocked in it: the main thread handles them).
  void start();
  // Stops and joins it; the totals of the run.
  FloodTotals stop();
  // Datagrams sent so far (for progress).
  uint64_t sent() const { return sent_.load(std::memory_order_relaxed); }

private:
  FloodSender() = default;
  void run();

  FloodSenderOptions o_;
  int fd_ = -1;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> sent_{0}, errors_{0};
  std::chrono::steady_clock::time_point t0_, t1_;
};

} // namespace ikekit::bench
