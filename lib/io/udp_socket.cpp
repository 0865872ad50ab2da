#include "io/udp_socket.hpp"

#include "io/netlink_socket.hpp" // errno_text, errno_name
#include "wire/udp_encap.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <sys/socket.h>
#include <unistd.h>

namespace ikekit::io {

namespace {
// Control space for IP(V6)_PKTINFO + UDP_GRO (+ UDP_SEGMENT on send).
constexpr size_t kCmsgSpace =
    CMSG_SPACE(sizeof(in6_pktinfo)) + CMSG_SPACE(sizeof(int)) + CMSG_SPACE(sizeof(uint16_t));
constexpr uint8_t kNonEspMarker[4] = {0, 0, 0, 0};
} // namespace

struct UdpSocket::Batch {
  std::array<mmsghdr, kMaxBatch> msgs;
  std::array<std::array<iovec, 2>, kMaxBatch> iovs;
  std::array<sockaddr_storage, kMaxBatch> addrs;
  std::array<std::array<uint8_t, kCmsgSpace>, kMaxBatch> ctrl alignas(cmsghdr);
};

Error UdpSocket::io_error(std::string_view op, int err) const {
  return make_error(Errc::io, "udp",
                    "udp " + local_.to_string() + ": " + std::string(op) + ": " + errno_text(err) +
                        " (" + std::string(errno_name(err)) + ")");
}

Result<UdpSocket> UdpSocket::open(const UdpSocketOptions& o) {
  UdpSocket s;
  s.local_ = o.local;
  s.nat_t_ = o.nat_t;
  const bool v4 = o.local.address.is_v4();
  s.fd_.reset(::socket(v4 ? AF_INET : AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!s.fd_) return s.io_error("socket", errno);
  int one = 1;
  if (!v4) setsockopt(s.fd_.get(), IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  // The local address a datagram was sent to: replies must leave from it (RFC 7296 2.11).
  if (v4 ? setsockopt(s.fd_.get(), IPPROTO_IP, IP_PKTINFO, &one, sizeof one)
         : setsockopt(s.fd_.get(), IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof one))
    return s.io_error(v4 ? "IP_PKTINFO" : "IPV6_RECVPKTINFO", errno);
  if (o.reuse_port && setsockopt(s.fd_.get(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one))
    return s.io_error("SO_REUSEPORT", errno);
  // SO_RCVBUFFORCE passes net.core.rmem_max with CAP_NET_ADMIN; without it, as much as
  // rmem_max allows.
  if (o.rcvbuf_bytes > 0 &&
      setsockopt(s.fd_.get(), SOL_SOCKET, SO_RCVBUFFORCE, &o.rcvbuf_bytes, sizeof(int)) != 0)
    setsockopt(s.fd_.get(), SOL_SOCKET, SO_RCVBUF, &o.rcvbuf_bytes, sizeof(int));
  if (o.sndbuf_bytes > 0)
    setsockopt(s.fd_.get(), SOL_SOCKET, SO_SNDBUF, &o.sndbuf_bytes, sizeof(int));

  sockaddr_storage ss;
  socklen_t len = to_sockaddr(o.local, ss);
  if (::bind(s.fd_.get(), reinterpret_cast<sockaddr*>(&ss), len) < 0) {
    int err = errno;
    if (err == EACCES || err == EPERM)
      return make_error(Errc::environment, "local",
                        "udp: bind " + o.local.to_string() + ": " + errno_text(err) +
                            ": ports below 1024 need root or CAP_NET_BIND_SERVICE");
    if (err == EADDRNOTAVAIL)
      return make_error(Errc::environment, "local",
                        "udp: bind " + o.local.to_string() +
                            ": the address is not configured on any interface (EADDRNOTAVAIL)");
    if (err == EADDRINUSE)
      return make_error(Errc::environment, "local",
                        "udp: bind " + o.local.to_string() +
                            ": the port is in use (another ike-up, charon or pluto?) (EADDRINUSE)");
    return make_error(Errc::io, "local",
                      "udp: bind " + o.local.to_string() + ": " + errno_text(err) + " (" +
                          std::string(errno_name(err)) + ")");
  }
  socklen_t got = sizeof ss;
  if (getsockname(s.fd_.get(), reinterpret_cast<sockaddr*>(&ss), &got) == 0)
    if (auto e = from_sockaddr(ss)) s.local_ = *e;

  // Feature detection: UDP_SEGMENT (Linux 4.18) takes 0 = "no segmentation" as a
  // harmless default; UDP_GRO (Linux 5.0) only when asked for, since it changes what
  // one receive returns.
  int zero = 0;
  s.features_.gso = setsockopt(s.fd_.get(), SOL_UDP, UDP_SEGMENT, &zero, sizeof zero) == 0;
  if (o.gro) s.features_.gro = setsockopt(s.fd_.get(), SOL_UDP, UDP_GRO, &one, sizeof one) == 0;

  s.batch_ = std::make_unique<Batch>();
  return s;
}

Result<UdpSocket> UdpSocket::duplicate() const {
  UdpSocket s;
  s.fd_.reset(::fcntl(fd_.get(), F_DUPFD_CLOEXEC, 0));
  if (!s.fd_) return io_error("dup", errno);
  s.local_ = local_;
  s.nat_t_ = nat_t_;
  s.features_ = features_;
  s.batch_ = std::make_unique<Batch>();
  return s;
}

// Out of line: Batch is complete only here.
UdpSocket::UdpSocket(UdpSocket&&) noexcept = default;
UdpSocket& UdpSocket::operator=(UdpSocket&&) noexcept = default;
UdpSocket::~UdpSocket() = default;

Result<size_t> UdpSocket::recv_batch(std::span<RecvSlot> slots) {
  const size_t n = std::min(slots.size(), kMaxBatch);
  if (n == 0) return size_t(0);
  Batch& b = *batch_;
  for (size_t i = 0; i < n; ++i) {
    b.iovs[i][0] = iovec{slots[i].buffer.data(), slots[i].buffer.size()};
    msghdr& h = b.msgs[i].msg_hdr;
    h = msghdr{};
    h.msg_name = &b.addrs[i];
    h.msg_namelen = sizeof(sockaddr_storage);
    h.msg_iov = b.iovs[i].data();
    h.msg_iovlen = 1;
    h.msg_control = b.ctrl[i].data();
    h.msg_controllen = kCmsgSpace;
    b.msgs[i].msg_len = 0;
  }
  int got;
  do {
    got = ::recvmmsg(fd_.get(), b.msgs.data(), unsigned(n), MSG_DONTWAIT, nullptr);
  } while (got < 0 && errno == EINTR);
  if (got < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK) return size_t(0);
    return io_error("recvmmsg", errno);
  }
  for (int i = 0; i < got; ++i) {
    RecvSlot& s = slots[size_t(i)];
    const msghdr& h = b.msgs[size_t(i)].msg_hdr;
    s.size = b.msgs[size_t(i)].msg_len;
    s.truncated = (h.msg_flags & MSG_TRUNC) != 0;
    if (auto e = from_sockaddr(b.addrs[size_t(i)])) s.remote = *e;
    s.local.reset();
    s.ifindex = 0;
    s.gro_segment = 0;
    for (cmsghdr* c = CMSG_FIRSTHDR(&h); c; c = CMSG_NXTHDR(const_cast<msghdr*>(&h), c)) {
      if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
        in_pktinfo pi;
        std::memcpy(&pi, CMSG_DATA(c), sizeof pi);
        s.local = IpAddress::v4(ByteView(reinterpret_cast<const uint8_t*>(&pi.ipi_addr), 4));
        s.ifindex = pi.ipi_ifindex;
      } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
        in6_pktinfo pi;
        std::memcpy(&pi, CMSG_DATA(c), sizeof pi);
        s.local = IpAddress::v6(ByteView(reinterpret_cast<const uint8_t*>(&pi.ipi6_addr), 16));
        s.ifindex = int(pi.ipi6_ifindex);
      } else if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_GRO) {
        int seg;
        std::memcpy(&seg, CMSG_DATA(c), sizeof seg);
        s.gro_segment = uint16_t(seg);
      }
    }
    if (nat_t_) {
      s.kind = wire::udp_encap_kind(s.data());
      s.marker_ = s.kind == wire::UdpKind::ike;
    } else {
      s.kind = wire::UdpKind::ike;
      s.marker_ = false;
    }
  }
  return size_t(got);
}

Result<size_t> UdpSocket::send_batch(std::span<const SendSlot> slots) {
  const size_t n = std::min(slots.size(), kMaxBatch);
  if (n == 0) return size_t(0);
  Batch& b = *batch_;
  for (size_t i = 0; i < n; ++i) {
    const SendSlot& s = slots[i];
    msghdr& h = b.msgs[i].msg_hdr;
    h = msghdr{};
    size_t iov = 0;
    if (s.non_esp_marker) // RFC 3948 2.2
      b.iovs[i][iov++] = iovec{const_cast<uint8_t*>(kNonEspMarker), sizeof kNonEspMarker};
    b.iovs[i][iov++] = iovec{const_cast<uint8_t*>(s.data.data()), s.data.size()};
    h.msg_iov = b.iovs[i].data();
    h.msg_iovlen = iov;
    h.msg_name = &b.addrs[i];
    h.msg_namelen = to_sockaddr(s.remote, b.addrs[i]);
    size_t ctrl_len = 0;
    uint8_t* ctrl = b.ctrl[i].data();
    std::memset(ctrl, 0, kCmsgSpace);
    h.msg_control = ctrl;
    h.msg_controllen = kCmsgSpace;
    cmsghdr* c = CMSG_FIRSTHDR(&h);
    if (s.local) {
      if (s.local->is_v4()) {
        in_pktinfo pi{};
        std::memcpy(&pi.ipi_spec_dst, s.local->bytes().data(), 4);
        c->cmsg_level = IPPROTO_IP;
        c->cmsg_type = IP_PKTINFO;
        c->cmsg_len = CMSG_LEN(sizeof pi);
        std::memcpy(CMSG_DATA(c), &pi, sizeof pi);
        ctrl_len += CMSG_SPACE(sizeof pi);
      } else {
        in6_pktinfo pi{};
        std::memcpy(&pi.ipi6_addr, s.local->bytes().data(), 16);
        c->cmsg_level = IPPROTO_IPV6;
        c->cmsg_type = IPV6_PKTINFO;
        c->cmsg_len = CMSG_LEN(sizeof pi);
        std::memcpy(CMSG_DATA(c), &pi, sizeof pi);
        ctrl_len += CMSG_SPACE(sizeof pi);
      }
      c = CMSG_NXTHDR(&h, c);
    }
    if (s.gso_segment && features_.gso) {
      c->cmsg_level = SOL_UDP;
      c->cmsg_type = UDP_SEGMENT;
      c->cmsg_len = CMSG_LEN(sizeof(uint16_t));
      std::memcpy(CMSG_DATA(c), &s.gso_segment, sizeof(uint16_t));
      ctrl_len += CMSG_SPACE(sizeof(uint16_t));
    }
    h.msg_controllen = ctrl_len;
    if (ctrl_len == 0) h.msg_control = nullptr;
  }
  int sent;
  do {
    sent = ::sendmmsg(fd_.get(), b.msgs.data(), unsigned(n), MSG_DONTWAIT);
  } while (sent < 0 && errno == EINTR);
  if (sent < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK) return size_t(0);
    return io_error("sendmmsg to " + slots[0].remote.to_string(), errno);
  }
  return size_t(sent);
}

Result<bool> UdpSocket::send(const SendSlot& slot) {
  auto n = send_batch(std::span<const SendSlot>(&slot, 1));
  if (!n) return n.error();
  return *n == 1;
}

} // namespace ikekit::io
