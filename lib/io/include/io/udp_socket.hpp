// Non-blocking UDP sockets for IKE (port 500) and NAT traversal (port 4500,
// RFC 3948), bound to one local address, with batched receive and send
// (recvmmsg/sendmmsg) into caller-provided buffers: nothing is allocated per packet.
//
// On a NAT-T socket every received datagram is classified by wire::udp_encap_kind
// (RFC 3948 2.2, wire/udp_encap.hpp):
//   4 zero bytes (non-ESP marker) + IKE message   -> ike (payload() skips the marker)
//   the single byte 0xFF                           -> keepalive (RFC 3948 2.3)
//   a non-zero SPI and a sequence number           -> esp
//   anything shorter                               -> nullopt (a runt)
// and an IKE message sent on it gets the marker prepended (SendSlot::non_esp_marker).
#pragma once

#include "base/bytes.hpp"
#include "base/result.hpp"
#include "io/endpoint.hpp"
#include "io/fd.hpp"
#include "wire/udp_encap.hpp"

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

namespace ikekit::io {

inline constexpr uint16_t kIkePort = 500;
inline constexpr uint16_t kNatTPort = 4500;

struct UdpSocketOptions {
  Endpoint local;          // address and port to bind; port 0 picks a free one
  bool nat_t = false;      // port-4500 semantics: RFC 3948 demux on receive
  bool gro = false;        // ask for UDP_GRO (coalesced ESP receive); see features()
  bool reuse_port = false; // SO_REUSEPORT, for one socket per thread
  int rcvbuf_bytes = 0;    // SO_RCVBUF(FORCE) / SO_SNDBUF when > 0
  int sndbuf_bytes = 0;
};

// What the kernel supports on this socket (detected at open).
struct UdpFeatures {
  bool gso = false; // UDP_SEGMENT: send one large buffer as many datagrams
  bool gro = false; // UDP_GRO enabled: one receive may carry several datagrams
};

// One received datagram. `buffer` is the caller's storage, set before recv_batch.
struct RecvSlot {
  MutBytes buffer;
  size_t size = 0;                // bytes received
  bool truncated = false;         // the datagram was larger than buffer
  Endpoint remote;                // sender
  std::optional<IpAddress> local; // address it was sent to (IP_PKTINFO / IPV6_PKTINFO)
  int ifindex = 0;                // interface it arrived on
  uint16_t gro_segment = 0;       // with GRO: size of each coalesced datagram, 0 if one
  // ike on port 500 always; on a NAT-T socket wire::udp_encap_kind (nullopt: a runt).
  std::optional<wire::UdpKind> kind = wire::UdpKind::ike;

  ByteView data() const { return ByteView(buffer.data(), size); }
  // The IKE message or ESP packet without RFC 3948 framing (skips the non-ESP marker).
  ByteView payload() const {
    return kind == wire::UdpKind::ike && marker_ ? data().subspan(4) : data();
  }

private:
  friend class UdpSocket;
  bool marker_ = false;
};

struct SendSlot {
  ByteView data;
  Endpoint remote;
  std::optional<IpAddress> local; // source address (IP_PKTINFO); nullopt: the bound one
  bool non_esp_marker = false;    // prepend 4 zero bytes: an IKE message on port 4500
  uint16_t gso_segment = 0;       // UDP_SEGMENT size when features().gso; 0 = one datagram
};

class UdpSocket {
public:
  static constexpr size_t kMaxBatch = 64;

  // Errors: binding port 500/4500 without privilege is Errc::environment naming
  // the address:port; other failures are Errc::io.
  static Result<UdpSocket> open(const UdpSocketOptions& options);

  UdpSocket(UdpSocket&& o) noexcept;
  UdpSocket& operator=(UdpSocket&& o) noexcept;
  UdpSocket(const UdpSocket&) = delete;
  UdpSocket& operator=(const UdpSocket&) = delete;
  ~UdpSocket();

  // The same socket (dup(2)) with batch state of its own, for another thread's sends
  // (send_batch is not thread-safe: the batch headers are per object).
  Result<UdpSocket> duplicate() const;

  int fd() const { return fd_.get(); }
  const Endpoint& local() const { return local_; } // with the port the kernel chose
  bool nat_t() const { return nat_t_; }
  UdpFeatures features() const { return features_; }

  // Receives up to min(slots.size(), kMaxBatch) datagrams without blocking;
  // returns how many (0 when none are waiting).
  Result<size_t> recv_batch(std::span<RecvSlot> slots);
  // Sends up to kMaxBatch datagrams; returns how many the kernel took (fewer when its
  // buffer is full: retry the rest when the socket is writable).
  Result<size_t> send_batch(std::span<const SendSlot> slots);
  // One datagram; false when the kernel buffer is full (EAGAIN).
  Result<bool> send(const SendSlot& slot);

private:
  UdpSocket() = default;
  Error io_error(std::string_view op, int err) const;

  Fd fd_;
  Endpoint local_;
  bool nat_t_ = false;
  UdpFeatures features_;
  // Batch state allocated once at open: headers, iovecs, addresses and control space.
  struct Batch;
  std::unique_ptr<Batch> batch_;
};

} // namespace ikekit::io
