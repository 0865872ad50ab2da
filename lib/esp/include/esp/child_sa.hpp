// What a data plane installs for one Child SA (RFC 7296 2.17, RFC 4301 4.4.2): the
// inbound and outbound SA keys, the outer endpoints and encapsulation, the mode and
// the traffic selectors. The one description of a Child SA: the same value drives the
// TUN data plane (its sans-I/O pipelines, esp/outbound_pipeline.hpp and
// esp/inbound_pipeline.hpp), the XFRM backend and esp-tunnel's key files, so ike-up
// turns a ChildSaUp event into one ChildSaSpec whichever backend it runs.
#pragma once

#include "base/ip_address.hpp"
#include "base/result.hpp"
#include "base/secret_bytes.hpp"
#include "crypto/suite.hpp"
#include "esp/replay_window.hpp"
#include "esp/sa.hpp"
#include "esp/selector.hpp"

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

namespace ikekit::esp {

// Outbound sequence numbers made durable by the data plane's owner (esp-tunnel's state
// file, esp-tunnel(8)): with counter IVs (AEAD, CTR) a number sent twice under one key
// repeats a nonce, so a restarted esp-tunnel must never send a number its previous run
// may have sent. The owner raises `limit` only after recording it on disk; the sending
// thread never seals past it (such packets are dropped and counted seq_unreserved) and
// publishes how far it got in `next` after every batch. Lock-free, no allocation.
//
// So that the owner need not look at `next` on a timer, it sets `notify_at` (where it
// wants to reserve more, well before the limit) and `wake_fd` (an eventfd of its own):
// the batch that takes `next` there writes the eventfd once and disarms the mark; the
// owner reserves and arms the next one.
struct SeqReservation {
  std::atomic<uint64_t> limit{0};              // the last sequence number that may be sent
  std::atomic<uint64_t> next{1};               // the number the next sealed packet will carry
  std::atomic<uint64_t> notify_at{UINT64_MAX}; // UINT64_MAX: disarmed
  int wake_fd = -1; // the owner's eventfd, open while the data plane runs; -1: none

  // The sending thread, after a batch: publishes `n` as `next`. True once when it
  // reached the armed mark (the caller then writes wake_fd); the mark is disarmed.
  bool publish_next(uint64_t n) {
    next.store(n, std::memory_order_release);
    uint64_t at = notify_at.load(std::memory_order_acquire);
    return n >= at && notify_at.compare_exchange_strong(at, UINT64_MAX);
  }
};

// One SA direction's keys, owned (copied out of KEYMAT or a key file).
struct SaKeys {
  uint32_t spi = 0;
  const crypto::TransformInfo* encr = nullptr;  // ENCR (AEAD, AES-CBC, AES-CTR)
  SecretBytes encr_key;                         // key || salt for AEAD (RFC 4106 8.1)
  const crypto::TransformInfo* integ = nullptr; // null for AEAD
  SecretBytes integ_key;
  bool esn = false; // RFC 4303 2.2.1
};

enum class EspMode : uint8_t { tunnel, transport }; // RFC 4301 4.1
std::string_view esp_mode_name(EspMode m);          // "tunnel", "transport"

struct ChildSaSpec {
  SaKeys in;  // remote -> local: SPI chosen by us
  SaKeys out; // local -> remote: SPI chosen by the peer
  IpAddress local;
  IpAddress remote;
  EspMode mode = EspMode::tunnel;
  // RFC 3948: ESP in UDP (port 4500 both sides unless NAT moved the peer's port);
  // false: ESP directly over IP, protocol 50.
  bool udp_encap = true;
  uint16_t local_port = 4500;
  uint16_t remote_port = 4500;
  uint32_t replay_window = ReplayWindow::kDefaultSize; // inbound, packets
  // Traffic selectors (RFC 7296 3.13, RFC 4301 4.4.1.1): prefixes (an address range
  // is split into prefixes), protocol and ports. Empty: the TUN data plane takes any
  // address; XFRM protects the outer addresses themselves.
  std::vector<TrafficSelector> local_ts;
  std::vector<TrafficSelector> remote_ts;
  // The IKE SA this Child SA belongs to (0: none, e.g. static keys). Child SAs of
  // different IKE SAs must not overlap in their selectors: the second is refused, so
  // one peer never takes traffic meant for another.
  uint64_t ike_sa = 0;
  // RFC 7296 2.8: the inbound SPI of the Child SA this one rekeys (same IKE SA). The
  // new SA takes over its selectors (TUN) or its policies and reqid (XFRM).
  std::optional<uint32_t> replaces_spi_in;
  uint32_t reqid = 0; // XFRM: ties policies to states; 0 picks one (see XfrmDataplane)
  // TUN data plane, outbound: the sequence number from which the SA asks for a rekey
  // (SaParams::soft_limit_seq; 0: 7/8 of the sequence space). Tests set it low.
  uint64_t soft_limit_seq = 0;
  // TUN data plane, outbound: the first sequence number sent (1 for a new SA; esp-tunnel
  // resumes after a restart) and, when set, the reservation it never sends past.
  uint64_t first_seq_out = 1;
  std::shared_ptr<SeqReservation> seq_reservation;
};

// Checks the spec the way the backends will use it: both SPIs non-zero and distinct
// from reserved values (RFC 4303 2.1: 1..255 reserved), key lengths per transform,
// integ present exactly when the cipher is not AEAD, addresses of one family, a
// replay window the ESP layer accepts. Field paths: "in.encr_key", "out.integ", ...
Result<void> validate_child_sa(const ChildSaSpec& spec);

// The sans-I/O ESP layer's parameters for one direction (views into `keys`).
SaParams sa_params(const SaKeys& keys, uint32_t replay_window);

} // namespace ikekit::esp
