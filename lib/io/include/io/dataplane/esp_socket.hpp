// The network side of the user-space data plane: one socket that carries ESP,
// either UDP-encapsulated (RFC 3948, port 4500) or directly over IP (protocol 50,
// RFC 4303) through a raw socket, with batched send and receive into caller buffers:
// UDP GSO (UDP_SEGMENT: one message carries a run of ESP packets of one SA, cut into
// datagrams by the kernel) and UDP GRO (UDP_GRO: one message brings many datagrams of
// one sender) where the socket is UDP and offloads are on, sendmmsg / recvmmsg around
// them. The socket is shared by two threads: the
// receiving thread owns an EspReceiver, the sending thread an EspSender, each
// with its own message headers, so neither locks.
//
// ike-up shares its own port-4500 UdpSocket instead: it reads it (RFC 3948 2.2
// demultiplexes IKE from ESP), hands the ESP to the data plane, and the data plane
// only sends on its fd through an EspSender.
#pragma once

#include "base/bytes.hpp"
#include "base/ip_address.hpp"
#include "base/result.hpp"
#include "esp/inbound_pipeline.hpp"
#include "esp/outbound_pipeline.hpp"
#include "io/fd.hpp"

#include <array>
#include <cstdint>
#include <memory>
#include <netinet/in.h>
#include <optional>
#include <span>
#include <sys/socket.h>

namespace ikekit::io::dataplane {

// Where ESP goes: the peer's address and, with UDP encapsulation, its port. `plain`:
// ESP over IP (protocol 50) through the data plane's raw socket, from `src` (set per
// packet with IP_PKTINFO / IPV6_PKTINFO, so one unbound raw socket serves every local
// address and a MOBIKE move changes no socket); otherwise the UDP socket.
struct EspPeer {
  sockaddr_storage addr{};
  socklen_t len = 0;
  bool plain = false;
  IpAddress src;
};
EspPeer make_esp_peer(const IpAddress& addr, uint16_t port);
// Plain ESP to `addr` from our address `src`.
EspPeer make_plain_esp_peer(const IpAddress& addr, const IpAddress& src);

struct EspSocketOptions {
  IpAddress local;
  bool udp_encap = true;      // false: raw socket, IPPROTO_ESP
  uint16_t port = 4500;       // local UDP port with udp_encap
  int buffer_bytes = 4 << 20; // SO_RCVBUF / SO_SNDBUF (SO_*BUFFORCE when privileged)
  bool any_local = false;     // raw ESP: no bind (the sender names the source per packet)
};

// SO_RCVBUF / SO_SNDBUF of `bytes` (the FORCE variants when privileged); best effort.
void set_socket_buffers(int fd, int bytes);

// Opens the non-blocking socket: UDP bound to local:port, or raw ESP bound to local
// (unbound, for every local address of the family, with `any_local`).
// Binding port 4500 or opening a raw socket without CAP_NET_RAW/bind privilege is
// Errc::environment naming the address.
Result<Fd> open_esp_socket(const EspSocketOptions& options);

// Turns UDP GRO on for a UDP socket (UDP_GRO); false when the kernel refuses it.
bool enable_udp_gro(int fd);

// The address family of the socket `fd` is bound to (getsockname); nullopt for another
// kind of descriptor.
std::optional<IpAddress::Family> socket_family(int fd);

class EspSender {
public:
  static constexpr size_t kMaxBatch = 256;      // packets per send_batch
  static constexpr size_t kMaxGsoSegments = 64; // UDP_MAX_SEGMENTS of older kernels
  static constexpr size_t kMaxGsoBytes = 65000; // IP payload limit, with room for headers
  // gso: send runs of one SA with UDP_SEGMENT (UDP sockets only). pktinfo: each
  // message leaves from its peer's `src` (an unbound raw socket: plain ESP).
  EspSender(int fd, bool gso, bool pktinfo = false) : fd_(fd), gso_(gso), pktinfo_(pktinfo) {}

  // Sends each sealed packet to peers[packet.sa]; runs of one SA go out as one UDP GSO
  // message when GSO is on. Waits briefly for room when the socket buffer is full
  // (back-pressure towards the TUN queue instead of a drop). Returns how many packets
  // were sent; the rest were dropped. An Error only for a failure of the socket itself.
  Result<size_t> send_batch(std::span<const esp::SealedPacket> packets,
                            std::span<const EspPeer> peers);
  bool gso() const { return gso_; }
  // Sends on `fd` from the next send_batch on (a UDP socket like the first).
  void set_fd(int fd) { fd_ = fd; }

private:
  size_t prepare(std::span<const esp::SealedPacket> packets, std::span<const EspPeer> peers);
  Result<size_t> send_messages(size_t nmsgs);

  int fd_;
  bool gso_;
  bool pktinfo_;
  std::array<esp::GsoRun, kMaxBatch> runs_{};
  std::array<mmsghdr, kMaxBatch> msgs_{};
  std::array<iovec, kMaxBatch> iovs_{};
  // One UDP_SEGMENT control message per GSO message, or the source (IPV6_PKTINFO is
  // the larger) per plain ESP message.
  struct alignas(cmsghdr) Cmsg {
    char bytes[CMSG_SPACE(sizeof(in6_pktinfo))];
  };
  std::array<Cmsg, kMaxBatch> cmsgs_{};
};

// One received message: its bytes in the caller's buffer, and with UDP GRO the size
// of the datagrams it holds back to back (0: one datagram).
struct EspMessage {
  MutBytes data;
  size_t segment_size = 0;
};

class EspReceiver {
public:
  static constexpr size_t kMaxBatch = 64;
  EspReceiver(int fd, bool udp, bool v6) : fd_(fd), udp_(udp), v6_(v6) {}

  // Receives up to min(bufs.size(), kMaxBatch) messages without blocking into bufs[i].
  // Returns how many (0 when none was waiting).
  Result<size_t> recv_batch(std::span<const MutBytes> bufs, std::span<EspMessage> out);
  // The ESP packets of a message from byte `offset` on, appended to `out` from index
  // `n` on until `out` is full (returns the new count; `offset` moves past what was
  // taken: call again with an emptied `out` while offset < m.data.size()). Each
  // datagram that is ESP (RFC 3948 2.2: a non-zero SPI, not IKE or a keepalive; a raw
  // IPv4 socket's IP header skipped) gets `floor` as the lowest byte the pipeline may
  // use; `not_esp` counts the others.
  size_t split(const EspMessage& m, size_t& offset, uint8_t* floor, std::span<esp::InPacket> out,
               size_t n, uint64_t& not_esp) const;

private:
  int fd_;
  bool udp_;
  bool v6_;
  std::array<mmsghdr, kMaxBatch> msgs_{};
  std::array<iovec, kMaxBatch> iovs_{};
  struct alignas(cmsghdr) Cmsg {
    char bytes[CMSG_SPACE(sizeof(int))];
  };
  std::array<Cmsg, kMaxBatch> cmsgs_{};
};

} // namespace ikekit::io::dataplane
