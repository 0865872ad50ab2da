// The network side of the user-space data plane: one socket that carries ESP,
// either UDP-encapsulated (RFC 3948, port 4500) or directly over IP (protocol 50,
// RFC 4303) through a raw socket, with batched send and receive (sendmmsg /
// recvmmsg) into caller buffers. The socket is shared by two threads: the
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

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <sys/socket.h>

namespace ikekit::io::dataplane {

// An owned file descriptor.
class Fd {
public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  Fd& operator=(Fd&& o) noexcept;
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd();
  int get() const { return fd_; }
  explicit operator bool() const { return fd_ >= 0; }

private:
  int fd_ = -1;
};

// Where ESP goes: the peer's address and, with UDP encapsulation, its port.
struct EspPeer {
  sockaddr_storage addr{};
  socklen_t len = 0;
};
EspPeer make_esp_peer(const IpAddress& addr, uint16_t port);

struct EspSocketOptions {
  IpAddress local;
  bool udp_encap = true;      // false: raw socket, IPPROTO_ESP
  uint16_t port = 4500;       // local UDP port with udp_encap
  int buffer_bytes = 4 << 20; // SO_RCVBUF / SO_SNDBUF (SO_*BUFFORCE when privileged)
};

// Opens the non-blocking socket: UDP bound to local:port, or raw ESP bound to local.
// Binding port 4500 or opening a raw socket without CAP_NET_RAW/bind privilege is
// Errc::environment naming the address.
Result<Fd> open_esp_socket(const EspSocketOptions& options);

class EspSender {
public:
  static constexpr size_t kMaxBatch = 64;
  explicit EspSender(int fd) : fd_(fd) {}

  // Sends packets[i] to *peers[i]; waits briefly for room when the socket buffer is
  // full (back-pressure towards the TUN queue instead of a drop). Returns how many
  // were sent; the rest were dropped. An Error only for a failure of the socket itself.
  Result<size_t> send_batch(std::span<const ByteView> packets,
                            std::span<const EspPeer* const> peers);

private:
  int fd_;
  std::array<mmsghdr, kMaxBatch> msgs_{};
  std::array<iovec, kMaxBatch> iovs_{};
};

// One received ESP packet: the ESP bytes (SPI .. ICV) inside the caller's buffer.
struct EspDatagram {
  MutBytes esp;
  bool esp_ok = false; // false: not ESP (IKE with the non-ESP marker, keepalive, runt)
};

class EspReceiver {
public:
  static constexpr size_t kMaxBatch = 64;
  EspReceiver(int fd, bool udp, bool v6) : fd_(fd), udp_(udp), v6_(v6) {}

  // Receives up to min(bufs.size(), kMaxBatch) datagrams without blocking into
  // bufs[i]; out[i] gets the ESP packet within it (the outer IPv4 header a raw
  // socket delivers is skipped). Returns how many (0 when none was waiting).
  Result<size_t> recv_batch(std::span<const MutBytes> bufs, std::span<EspDatagram> out);

private:
  int fd_;
  bool udp_;
  bool v6_;
  std::array<mmsghdr, kMaxBatch> msgs_{};
  std::array<iovec, kMaxBatch> iovs_{};
};

} // namespace ikekit::io::dataplane
