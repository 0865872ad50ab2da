#include "io/dataplane/esp_socket.hpp"

#include "io/endpoint.hpp"
#include "io/netlink_socket.hpp" // errno_text
#include "wire/esp.hpp"
#include "wire/ip.hpp"
#include "wire/udp_encap.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <poll.h>
#include <string>
#include <unistd.h>

namespace ikekit::io::dataplane {

EspPeer make_esp_peer(const IpAddress& addr, uint16_t port) {
  EspPeer p;
  p.len = to_sockaddr(Endpoint{addr, port}, p.addr);
  return p;
}

EspPeer make_plain_esp_peer(const IpAddress& addr, const IpAddress& src) {
  EspPeer p = make_esp_peer(addr, 0);
  p.plain = true;
  p.src = src;
  return p;
}

void set_socket_buffers(int fd, int bytes) {
  // Large buffers: a burst of GSO messages (64 packets each) must not overflow them.
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof bytes) != 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof bytes);
  if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &bytes, sizeof bytes) != 0)
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &bytes, sizeof bytes);
}

Result<Fd> open_esp_socket(const EspSocketOptions& o) {
  const bool v4 = o.local.is_v4();
  const int family = v4 ? AF_INET : AF_INET6;
  std::string what = o.udp_encap ? "udp " + Endpoint{o.local, o.port}.to_string()
                                 : "raw esp " + o.local.to_string();
  auto fail = [&](const std::string& op, int err, Errc code) {
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
  set_socket_buffers(raw, o.buffer_bytes);
  if (!o.udp_encap && o.any_local) return fd;
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

bool enable_udp_gro(int fd) {
  int one = 1;
  return ::setsockopt(fd, SOL_UDP, UDP_GRO, &one, sizeof one) == 0;
}

std::optional<IpAddress::Family> socket_family(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return std::nullopt;
  if (ss.ss_family == AF_INET) return IpAddress::Family::v4;
  if (ss.ss_family == AF_INET6) return IpAddress::Family::v6;
  return std::nullopt;
}

namespace {

// The message's source address (raw(7), ip(7) IP_PKTINFO, ipv6(7) IPV6_PKTINFO): the
// kernel sends from it as if the socket were bound there.
void set_source(msghdr& h, char* buf, size_t size, const IpAddress& src) {
  h.msg_control = buf;
  h.msg_controllen = size;
  cmsghdr* c = CMSG_FIRSTHDR(&h);
  if (src.is_v4()) {
    in_pktinfo pi{};
    std::memcpy(&pi.ipi_spec_dst, src.bytes().data(), 4);
    c->cmsg_level = IPPROTO_IP;
    c->cmsg_type = IP_PKTINFO;
    c->cmsg_len = CMSG_LEN(sizeof pi);
    std::memcpy(CMSG_DATA(c), &pi, sizeof pi);
    h.msg_controllen = CMSG_SPACE(sizeof pi);
  } else {
    in6_pktinfo pi{};
    std::memcpy(&pi.ipi6_addr, src.bytes().data(), 16);
    c->cmsg_level = IPPROTO_IPV6;
    c->cmsg_type = IPV6_PKTINFO;
    c->cmsg_len = CMSG_LEN(sizeof pi);
    std::memcpy(CMSG_DATA(c), &pi, sizeof pi);
    h.msg_controllen = CMSG_SPACE(sizeof pi);
  }
}

} // namespace

// One message per GSO run (or per packet without GSO), one iovec per packet: the
// packets stay where they were sealed.
size_t EspSender::prepare(std::span<const esp::SealedPacket> packets,
                          std::span<const EspPeer> peers) {
  size_t n = std::min(packets.size(), kMaxBatch);
  size_t nruns = esp::gso_runs(packets.first(n), gso_ ? kMaxGsoSegments : 1, kMaxGsoBytes, runs_);
  for (size_t i = 0; i < n; ++i) {
    iovs_[i].iov_base = packets[i].esp.data();
    iovs_[i].iov_len = packets[i].esp.size();
  }
  for (size_t r = 0; r < nruns; ++r) {
    const esp::GsoRun& run = runs_[r];
    const EspPeer& peer = peers[packets[run.first].sa];
    msghdr& h = msgs_[r].msg_hdr;
    h = msghdr{};
    h.msg_name = const_cast<sockaddr_storage*>(&peer.addr);
    h.msg_namelen = peer.len;
    h.msg_iov = &iovs_[run.first];
    h.msg_iovlen = run.count;
    if (pktinfo_) {
      set_source(h, cmsgs_[r].bytes, sizeof cmsgs_[r].bytes, peer.src);
    } else if (run.count > 1) { // UDP_SEGMENT: the kernel cuts the message every segment_size
      h.msg_control = cmsgs_[r].bytes;
      h.msg_controllen = CMSG_SPACE(sizeof(uint16_t)); // the one message, not the buffer
      cmsghdr* c = CMSG_FIRSTHDR(&h);
      c->cmsg_level = SOL_UDP;
      c->cmsg_type = UDP_SEGMENT;
      c->cmsg_len = CMSG_LEN(sizeof(uint16_t));
      uint16_t size = uint16_t(run.segment_size);
      std::memcpy(CMSG_DATA(c), &size, sizeof size);
    }
  }
  return nruns;
}

Result<size_t> EspSender::send_batch(std::span<const esp::SealedPacket> packets,
                                     std::span<const EspPeer> peers) {
  size_t nmsgs = prepare(packets, peers);
  return send_messages(nmsgs);
}

Result<size_t> EspSender::send_messages(size_t nmsgs) {
  size_t pos = 0, accepted = 0;
  int waits = 0;
  while (pos < nmsgs) {
    int r = ::sendmmsg(fd_, msgs_.data() + pos, unsigned(nmsgs - pos), 0);
    if (r > 0) {
      for (int k = 0; k < r; ++k)
        accepted += runs_[pos + size_t(k)].count;
      pos += size_t(r);
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
    // A per-destination failure (an ICMP error came back, no route, too big) or a
    // per-path one (the socket's address went away: its pairs move with MOBIKE, other
    // paths' sockets go on): drop this message and go on with the next.
    if (err == ECONNREFUSED || err == EHOSTUNREACH || err == ENETUNREACH || err == EMSGSIZE ||
        err == EPERM || err == ENETDOWN || err == EINVAL || err == EIO || err == EADDRNOTAVAIL) {
      ++pos;
      continue;
    }
    return make_error(Errc::io, "socket", std::string("sendmmsg: ") + errno_text(err));
  }
  return accepted;
}

Result<size_t> EspReceiver::recv_batch(std::span<const MutBytes> bufs, std::span<EspMessage> out) {
  size_t n = std::min({bufs.size(), out.size(), kMaxBatch});
  if (n == 0) return size_t(0);
  for (size_t i = 0; i < n; ++i) {
    iovs_[i].iov_base = bufs[i].data();
    iovs_[i].iov_len = bufs[i].size();
    msghdr& h = msgs_[i].msg_hdr;
    h = msghdr{};
    h.msg_iov = &iovs_[i];
    h.msg_iovlen = 1;
    if (udp_) {
      h.msg_control = cmsgs_[i].bytes;
      h.msg_controllen = sizeof cmsgs_[i].bytes;
    }
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
    msghdr& h = msgs_[i].msg_hdr;
    size_t len = std::min<size_t>(msgs_[i].msg_len, bufs[i].size());
    out[i] = EspMessage{};
    if (h.msg_flags & MSG_TRUNC) continue; // empty: nothing to open
    out[i].data = bufs[i].subspan(0, len);
    for (cmsghdr* c = udp_ ? CMSG_FIRSTHDR(&h) : nullptr; c; c = CMSG_NXTHDR(&h, c))
      if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_GRO) {
        int size = 0;
        std::memcpy(&size, CMSG_DATA(c), sizeof size);
        if (size > 0 && size_t(size) < len) out[i].segment_size = size_t(size);
      }
  }
  return size_t(r);
}

size_t EspReceiver::split(const EspMessage& m, size_t& offset, uint8_t* floor,
                          std::span<esp::InPacket> out, size_t n, uint64_t& not_esp) const {
  MutBytes d = m.data;
  const size_t step = m.segment_size ? m.segment_size : d.size();
  for (; offset < d.size() && n < out.size(); offset += step) {
    MutBytes dg = d.subspan(offset, std::min(step, d.size() - offset));
    MutBytes esp;
    if (udp_) {
      // RFC 3948 2.2: only a datagram whose first four bytes are a non-zero SPI is ESP.
      if (wire::udp_encap_kind(dg) == wire::UdpKind::esp) esp = dg;
    } else if (!v6_) {
      // A raw IPv4 socket delivers the IP header too (raw(7)); IPv6 does not.
      // Whole, unfragmented, and at least an ESP header (RFC 4303 2.1).
      wire::IpHeader ip;
      if (wire::parse_ip(dg, ip) == wire::IpError::none && !ip.cut && !ip.fragment &&
          ip.protocol == wire::kIpProtoEsp && ip.payload.size() >= wire::kEspHeaderSize)
        esp = dg.subspan(ip.header_len, ip.payload.size());
    } else if (dg.size() >= 8) {
      esp = dg;
    }
    if (esp.empty()) {
      ++not_esp;
      continue;
    }
    out[n++] = esp::InPacket{esp, floor};
  }
  return n;
}

} // namespace ikekit::io::dataplane
