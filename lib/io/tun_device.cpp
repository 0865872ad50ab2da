#include "io/tun_device.hpp"

#include "io/netlink_route.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <unistd.h>

namespace ikekit::io {

namespace {
constexpr const char* kTunPath = "/dev/net/tun";
}

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
  t.fd_ = ::open(kTunPath, O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (t.fd_ < 0) {
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
  if (::ioctl(t.fd_, TUNSETIFF, &ifr) < 0) {
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

TunDevice::TunDevice(TunDevice&& o) noexcept
    : fd_(o.fd_), ifindex_(o.ifindex_), vnet_hdr_(o.vnet_hdr_), name_(std::move(o.name_)) {
  o.fd_ = -1;
}

TunDevice& TunDevice::operator=(TunDevice&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = o.fd_;
    o.fd_ = -1;
    ifindex_ = o.ifindex_;
    vnet_hdr_ = o.vnet_hdr_;
    name_ = std::move(o.name_);
  }
  return *this;
}

TunDevice::~TunDevice() {
  if (fd_ >= 0) ::close(fd_);
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
  if (::ioctl(fd_, TUNSETOFFLOAD, flags) < 0) return io_error("TUNSETOFFLOAD", errno);
  return {};
}

Result<size_t> TunDevice::read(MutBytes buf) {
  for (;;) {
    ssize_t n = ::read(fd_, buf.data(), buf.size());
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
    ssize_t n = ::write(fd_, packet.data(), packet.size());
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
