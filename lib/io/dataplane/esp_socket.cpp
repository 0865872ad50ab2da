#include "io/dataplane/esp_socket.hpp"

#include "esp/outer_ip.hpp"
#include "io/endpoint.hpp"
#include "io/netlink_socket.hpp" // errno_text
#include "io/udp_socket.hpp"     // classify_nat_t

#include <algorithm>
#include <cerrno>
#include <netinet/in.h>
#include <poll.h>
#include <string>
#include <unistd.h>

namespace ikekit::io::dataplane {

Fd& Fd::operator=(Fd&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = o.fd_;
    o.fd_ = -1;
  }
  return *this;
}

Fd::~Fd() {
  if (fd_ >= 0) ::close(fd_);
}

EspPeer make_esp_peer(const IpAddress& addr, uint16_t port) {
  EspPeer p;
  p.len = to_sockaddr(Endpoint{addr, port}, p.addr);
  return p;
}

Result<Fd> open_esp_socket(const EspSocketOptions& o) {
  const bool v4 = o.local.is_v4();
  const int family = v4 ? AF_INET : AF_INET6;
  std::string what = o.udp_encap ? "udp " + Endpoint{o.local, o.port}.to_string()
                                 : "raw esp " + o.local.to_string();
  auto fail = [&](std::string op, int err, Errc code) {
    return make_error(code, o.udp_encap ? "port" : "local",
                      what + ": " + op + ": " + errno_text(err));
  };
  int raw = o.udp_encap ? ::socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)
                        : ::socket(family, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ESP);
  if (raw < 0) {
    int err = errno;
    return fail("socket", err, err == EPERM || err == EACCES ? Errc::environment : Errc::io);
  }
  Fd fd(raw);
  int one = 1;
  if (!v4) setsockopt(raw, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  // Large buffers: a burst of 64 sealed packets per wakeup must not overflow them.
  int bytes = o.buffer_bytes;
  if (setsockopt(raw, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof bytes) != 0)
    setsockopt(raw, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof bytes);
  if (setsockopt(raw, SOL_SOCKET, SO_SNDBUFFORCE, &bytes, sizeof bytes) != 0)
    setsockopt(raw, SOL_SOCKET, SO_SNDBUF, &bytes, sizeof bytes);
  sockaddr_storage ss;
  socklen_t len = to_sockaddr(Endpoint{o.local, o.udp_encap ? o.port : uint16_t(0)}, ss);
  if (::bind(raw, reinterpret_cast<sockaddr*>(&ss), len) < 0) {
    int err = errno;
    return fail("bind", err,
                err == EACCES || err == EPERM || err == EADDRNOTAVAIL ? Errc::environment
                                                                      : Errc::io);
  }
  return fd;
}

Result<size_t> EspSender::send_batch(std::span<const ByteView> packets,
                                     std::span<const EspPeer* const> peers) {
  size_t n = std::min({packets.size(), peers.size(), kMaxBatch});
  for (size_t i = 0; i < n; ++i) {
    iovs_[i].iov_base = const_cast<uint8_t*>(packets[i].data());
    iovs_[i].iov_len = packets[i].size();
    msghdr& h = msgs_[i].msg_hdr;
    h = msghdr{};
    h.msg_name = const_cast<sockaddr_storage*>(&peers[i]->addr);
    h.msg_namelen = peers[i]->len;
    h.msg_iov = &iovs_[i];
    h.msg_iovlen = 1;
  }
  size_t pos = 0, accepted = 0;
  int waits = 0;
  while (pos < n) {
    int r = ::sendmmsg(fd_, msgs_.data() + pos, unsigned(n - pos), 0);
    if (r > 0) {
      pos += size_t(r);
      accepted += size_t(r);
      continue;
    }
    int err = r < 0 ? errno : EAGAIN;
    if (err == EINTR) continue;
    if (err == EAGAIN || err == ENOBUFS) {
      // Socket buffer full: wait a little for room (bounded), then drop the rest.
      pollfd p{fd_, POLLOUT, 0};
      if (++waits > 10 || ::poll(&p, 1, 10) <= 0) break;
      continue;
    }
    // A per-destination failure (an ICMP error came back, no route, too big): drop
    // this packet and go on with the next.
    if (err == ECONNREFUSED || err == EHOSTUNREACH || err == ENETUNREACH || err == EMSGSIZE ||
        err == EPERM || err == ENETDOWN) {
      ++pos;
      continue;
    }
    return make_error(Errc::io, "socket", std::string("sendmmsg: ") + errno_text(err));
  }
  return accepted;
}

Result<size_t> EspReceiver::recv_batch(std::span<const MutBytes> bufs, std::span<EspDatagram> out) {
  size_t n = std::min({bufs.size(), out.size(), kMaxBatch});
  if (n == 0) return size_t(0);
  for (size_t i = 0; i < n; ++i) {
    iovs_[i].iov_base = bufs[i].data();
    iovs_[i].iov_len = bufs[i].size();
    msghdr& h = msgs_[i].msg_hdr;
    h = msghdr{};
    h.msg_iov = &iovs_[i];
    h.msg_iovlen = 1;
    msgs_[i].msg_len = 0;
  }
  int r;
  do {
    r = ::recvmmsg(fd_, msgs_.data(), unsigned(n), MSG_DONTWAIT, nullptr);
  } while (r < 0 && errno == EINTR);
  if (r < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK) return size_t(0);
    // ICMP errors queued on a UDP socket surface here once; not fatal.
    if (errno == ECONNREFUSED || errno == EHOSTUNREACH || errno == ENETUNREACH) return size_t(0);
    return make_error(Errc::io, "socket", std::string("recvmmsg: ") + errno_text(errno));
  }
  for (size_t i = 0; i < size_t(r); ++i) {
    size_t len = std::min<size_t>(msgs_[i].msg_len, bufs[i].size());
    bool truncated = (msgs_[i].msg_hdr.msg_flags & MSG_TRUNC) != 0;
    MutBytes d = bufs[i].subspan(0, len);
    EspDatagram& e = out[i];
    e = EspDatagram{};
    if (truncated) continue;
    if (udp_) {
      // RFC 3948 2.2: only a datagram whose first four bytes are a non-zero SPI is ESP.
      if (classify_nat_t(d) != UdpPayloadKind::esp) continue;
      e.esp = d;
      e.esp_ok = true;
    } else if (!v6_) {
      // A raw IPv4 socket delivers the IP header too (raw(7)); IPv6 does not.
      auto ip = esp::parse_ip_header(d);
      if (!ip || ip->protocol != 50) continue;
      e.esp = d.subspan(ip->payload_offset, ip->payload_len);
      e.esp_ok = e.esp.size() >= 8;
    } else {
      e.esp = d;
      e.esp_ok = d.size() >= 8;
    }
  }
  return size_t(r);
}

} // namespace ikekit::io::dataplane
