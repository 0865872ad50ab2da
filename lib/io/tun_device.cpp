#include "io/tun_device.hpp"

#include "io/netlink_route.hpp"

#include <array>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <unistd.h>

namespace ikekit::io {

namespace {
constexpr const char* kTunPath = "/dev/net/tun";
constexpr size_t kMaxWriteParts = 1024; // UIO_MAXIOV

// struct virtio_net_hdr (virtio 1.x 5.1.6; <linux/virtio_net.h> does not compile as
// C++) in the device's byte order, which for TUN without TUNSETVNETLE/BE is the host's.
struct virtio_net_hdr {
  uint8_t flags;
  uint8_t gso_type;
  uint16_t hdr_len;
  uint16_t gso_size;
  uint16_t csum_start;
  uint16_t csum_offset;
};
static_assert(sizeof(virtio_net_hdr) == 10);
constexpr uint8_t VIRTIO_NET_HDR_F_NEEDS_CSUM = 1;
constexpr uint8_t VIRTIO_NET_HDR_GSO_TCPV4 = 1;
constexpr uint8_t VIRTIO_NET_HDR_GSO_TCPV6 = 4;
constexpr uint8_t VIRTIO_NET_HDR_GSO_ECN = 0x80;

esp::GsoInfo gso_of(const virtio_net_hdr& h) {
  esp::GsoInfo g;
  switch (h.gso_type & uint8_t(~VIRTIO_NET_HDR_GSO_ECN)) {
  case VIRTIO_NET_HDR_GSO_TCPV4:
    g.type = esp::GsoInfo::Type::tcp4;
    break;
  case VIRTIO_NET_HDR_GSO_TCPV6:
    g.type = esp::GsoInfo::Type::tcp6;
    break;
  default:
    g.type = esp::GsoInfo::Type::none;
  }
  g.segment_size = h.gso_size;
  g.needs_csum = (h.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) != 0;
  g.csum_start = h.csum_start;
  g.csum_offset = h.csum_offset;
  return g;
}

virtio_net_hdr hdr_of(const esp::GsoInfo& g, size_t header_len) {
  virtio_net_hdr h{};
  if (g.needs_csum) {
    h.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
    h.csum_start = g.csum_start;
    h.csum_offset = g.csum_offset;
  }
  if (g.type != esp::GsoInfo::Type::none) {
    h.gso_type =
        g.type == esp::GsoInfo::Type::tcp4 ? VIRTIO_NET_HDR_GSO_TCPV4 : VIRTIO_NET_HDR_GSO_TCPV6;
    h.gso_size = g.segment_size;
    h.hdr_len = uint16_t(header_len);
  }
  return h;
}
} // namespace

Error TunDevice::io_error(std::string_view op, int err) const {
  return make_error(Errc::io, "tun",
                    "TUN " + name_ + ": " + std::string(op) + ": " + errno_text(err) + " (" +
                        std::string(errno_name(err)) + ")");
}

Result<TunDevice> TunDevice::open(const TunOptions& o) {
  if (o.name.size() >= IFNAMSIZ)
    return make_error(Errc::bad_value, "tun.name",
                      "TUN: device name \"" + o.name + "\" is longer than 15 characters");
  TunDevice t;
  t.fd_.reset(::open(kTunPath, O_RDWR | O_NONBLOCK | O_CLOEXEC));
  if (!t.fd_) {
    int err = errno;
    if (err == ENOENT || err == ENODEV || err == ENXIO)
      return make_error(Errc::environment, "tun",
                        std::string("TUN: ") + kTunPath + ": " + errno_text(err) +
                            " (kernel lacks CONFIG_TUN? try modprobe tun)");
    if (err == EACCES || err == EPERM)
      return make_error(Errc::environment, "tun",
                        std::string("TUN: ") + kTunPath + ": " + errno_text(err) +
                            " (needs root or CAP_NET_ADMIN)");
    return make_error(Errc::io, "tun", std::string("TUN: ") + kTunPath + ": " + errno_text(err));
  }
  ifreq ifr{};
  ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
  if (o.vnet_hdr) ifr.ifr_flags |= IFF_VNET_HDR;
  if (o.multi_queue) ifr.ifr_flags |= IFF_MULTI_QUEUE;
  std::memcpy(ifr.ifr_name, o.name.data(), o.name.size());
  if (::ioctl(t.fd_.get(), TUNSETIFF, &ifr) < 0) {
    int err = errno;
    std::string what = "TUN: create " + (o.name.empty() ? std::string("device") : o.name) +
                       " (TUNSETIFF): " + errno_text(err);
    if (err == EPERM || err == EACCES)
      return make_error(Errc::environment, "tun", what + " (needs root or CAP_NET_ADMIN)");
    if (err == EBUSY) return make_error(Errc::io, "tun.name", what + " (the name is in use)");
    return make_error(Errc::io, "tun", what);
  }
  t.name_ = std::string(ifr.ifr_name, strnlen(ifr.ifr_name, IFNAMSIZ));
  t.vnet_hdr_ = o.vnet_hdr;
  t.ifindex_ = int(if_nametoindex(t.name_.c_str()));
  if (t.ifindex_ == 0) return t.io_error("if_nametoindex", errno);
  return t;
}

Result<void> TunDevice::configure(const TunConfig& c) {
  auto nl = RouteNetlink::open();
  if (!nl) return nl.error();
  if (c.mtu)
    if (auto r = nl->set_mtu(ifindex_, *c.mtu); !r) return r;
  for (const auto& a : c.addresses)
    if (auto r = nl->add_address(ifindex_, a); !r) return r;
  if (auto r = nl->set_up(ifindex_, true); !r) return r;
  for (const auto& p : c.routes) {
    RouteSpec route;
    route.dst = p;
    route.ifindex = ifindex_;
    route.table = c.table;
    if (auto r = nl->add_route(route); !r) return r;
  }
  return {};
}

Result<void> TunDevice::set_offload(unsigned flags) {
  if (::ioctl(fd_.get(), TUNSETOFFLOAD, flags) < 0) return io_error("TUNSETOFFLOAD", errno);
  return {};
}

Result<void> TunDevice::enable_tcp_offloads() {
  return set_offload(TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6);
}

Result<size_t> TunDevice::read_offload(MutBytes buf, esp::GsoInfo& gso) {
  virtio_net_hdr h;
  iovec iov[2] = {{&h, sizeof h}, {buf.data(), buf.size()}};
  for (;;) {
    ssize_t n = ::readv(fd_.get(), iov, 2);
    if (n >= ssize_t(sizeof h)) {
      gso = gso_of(h);
      return size_t(n) - sizeof h;
    }
    if (n >= 0) return io_error("read", EBADMSG); // shorter than its virtio_net_hdr
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return size_t(0);
    return io_error("read", errno);
  }
}

Result<bool> TunDevice::write_offload(const esp::GsoInfo& gso, std::span<const ByteView> parts) {
  if (parts.empty() || parts.size() + 1 > kMaxWriteParts) return io_error("write", EINVAL);
  size_t header_len = 0;
  if (gso.type != esp::GsoInfo::Type::none) {
    esp::TcpHeaders th;
    if (esp::read_tcp_headers(parts[0], th)) header_len = th.headers();
  }
  virtio_net_hdr h = hdr_of(gso, header_len);
  std::array<iovec, kMaxWriteParts> iov;
  iov[0] = {&h, sizeof h};
  for (size_t i = 0; i < parts.size(); ++i)
    iov[i + 1] = {const_cast<uint8_t*>(parts[i].data()), parts[i].size()};
  for (;;) {
    ssize_t n = ::writev(fd_.get(), iov.data(), int(parts.size() + 1));
    if (n >= 0) return true;
    if (errno == EINTR) continue;
    // A full queue, or a packet the kernel refuses (EINVAL: its offload description):
    // that packet is dropped, the device goes on.
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINVAL || errno == EIO) return false;
    return io_error("write", errno);
  }
}

Result<size_t> TunDevice::read(MutBytes buf) {
  for (;;) {
    ssize_t n = ::read(fd_.get(), buf.data(), buf.size());
    if (n >= 0) return size_t(n);
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return size_t(0);
    return io_error("read", errno);
  }
}

Result<size_t> TunDevice::read_batch(std::span<const MutBytes> bufs, std::span<size_t> sizes) {
  size_t n = std::min(bufs.size(), sizes.size());
  size_t got = 0;
  while (got < n) {
    auto r = read(bufs[got]);
    if (!r) return r.error();
    if (*r == 0) break;
    sizes[got++] = *r;
  }
  return got;
}

Result<bool> TunDevice::write(ByteView packet) {
  for (;;) {
    ssize_t n = ::write(fd_.get(), packet.data(), packet.size());
    if (n >= 0) return true;
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return false;
    return io_error("write", errno);
  }
}

Result<size_t> TunDevice::write_batch(std::span<const ByteView> packets) {
  size_t done = 0;
  for (ByteView p : packets) {
    auto r = write(p);
    if (!r) return r.error();
    if (!*r) break;
    ++done;
  }
  return done;
}

} // namespace ikekit::io
