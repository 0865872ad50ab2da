#include "io/route_watch.hpp"

#include "io/endpoint.hpp"
#include "io/netlink_socket.hpp" // errno_text
#include "io/netlink_walk.hpp"

#include <cerrno>
#include <cstring>
#include <linux/if_addr.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>
#include <unistd.h>

namespace ikekit::io {

std::string_view route_change_kind_name(RouteChangeKind k) {
  switch (k) {
  case RouteChangeKind::address_added:
    return "address_added";
  case RouteChangeKind::address_removed:
    return "address_removed";
  case RouteChangeKind::route_added:
    return "route_added";
  case RouteChangeKind::route_removed:
    return "route_removed";
  case RouteChangeKind::link_changed:
    return "link_changed";
  }
  return "?";
}

namespace {

constexpr size_t kRxBuffer = 32768; // rtnetlink datagrams are at most a page or two

// An address attribute of `family` (4 or 16 bytes); nullopt for another size.
std::optional<IpAddress> address_of(uint8_t family, ByteView v) {
  if (family == AF_INET && v.size() == 4) return IpAddress::v4(v);
  if (family == AF_INET6 && v.size() == 16) return IpAddress::v6(v);
  return std::nullopt;
}

// The attributes after a fixed header of `fixed` bytes (NLMSG_ALIGNed).
ByteView attrs_after(ByteView body, size_t fixed) {
  size_t start = NLMSG_ALIGN(fixed);
  return start < body.size() ? body.subspan(start) : ByteView();
}

// Calls f(type, value) for each rtattr in `attrs` (rtnetlink(7)); false when one's
// length is short or leaves the buffer.
template <typename F> bool for_each_attr(ByteView attrs, F&& f) {
  size_t off = 0;
  while (off < attrs.size() && attrs.size() - off >= sizeof(rtattr)) {
    rtattr a;
    std::memcpy(&a, attrs.data() + off, sizeof a);
    if (a.rta_len < sizeof(rtattr) || a.rta_len > attrs.size() - off) return false;
    f(a.rta_type, attrs.subspan(off + RTA_LENGTH(0), a.rta_len - RTA_LENGTH(0)));
    off += RTA_ALIGN(a.rta_len);
  }
  return true;
}

// Each parse_* returns false when the body is too short for its fixed header (the
// message says nothing) and sets `attrs_ok` false when an attribute's length is wrong.

// RTM_NEWADDR / RTM_DELADDR: ifaddrmsg, then IFA_LOCAL (the address itself; on a
// point-to-point link IFA_ADDRESS is the peer's) or IFA_ADDRESS.
bool parse_addr(ByteView body, RouteChange& c, bool& attrs_ok) {
  ifaddrmsg ifa;
  if (body.size() < sizeof ifa) return false;
  std::memcpy(&ifa, body.data(), sizeof ifa);
  c.ifindex = int(ifa.ifa_index);
  c.prefix_len = ifa.ifa_prefixlen;
  std::optional<IpAddress> local, address;
  attrs_ok = for_each_attr(attrs_after(body, sizeof ifa), [&](uint16_t type, ByteView v) {
    if (type == IFA_LOCAL) local = address_of(ifa.ifa_family, v);
    if (type == IFA_ADDRESS) address = address_of(ifa.ifa_family, v);
  });
  c.address = local ? local : address;
  return true;
}

// RTM_NEWROUTE / RTM_DELROUTE: rtmsg, then RTA_DST (none for a default route) and
// RTA_OIF.
bool parse_route(ByteView body, RouteChange& c, bool& attrs_ok) {
  rtmsg rtm;
  if (body.size() < sizeof rtm) return false;
  std::memcpy(&rtm, body.data(), sizeof rtm);
  c.prefix_len = rtm.rtm_dst_len;
  attrs_ok = for_each_attr(attrs_after(body, sizeof rtm), [&](uint16_t type, ByteView v) {
    if (type == RTA_DST) c.address = address_of(rtm.rtm_family, v);
    if (type == RTA_OIF && v.size() == 4) {
      uint32_t oif;
      std::memcpy(&oif, v.data(), 4);
      c.ifindex = int(oif);
    }
  });
  return true;
}

bool parse_link(ByteView body, RouteChange& c) {
  ifinfomsg ifi;
  if (body.size() < sizeof ifi) return false;
  std::memcpy(&ifi, body.data(), sizeof ifi);
  c.ifindex = ifi.ifi_index;
  return true;
}

std::optional<RouteChangeKind> kind_of(uint16_t type) {
  switch (type) {
  case RTM_NEWADDR:
    return RouteChangeKind::address_added;
  case RTM_DELADDR:
    return RouteChangeKind::address_removed;
  case RTM_NEWROUTE:
    return RouteChangeKind::route_added;
  case RTM_DELROUTE:
    return RouteChangeKind::route_removed;
  case RTM_NEWLINK:
  case RTM_DELLINK:
    return RouteChangeKind::link_changed;
  default:
    return std::nullopt;
  }
}

} // namespace

void parse_route_changes(ByteView buf, std::vector<RouteChange>& out, RouteParseStats& stats) {
  bool whole_datagram = walk_netlink_messages(buf, [&](const nlmsghdr& h, ByteView body) {
    auto kind = kind_of(h.nlmsg_type);
    if (!kind) {
      ++stats.ignored;
      return;
    }
    RouteChange c;
    c.kind = *kind;
    bool attrs_ok = true, whole = false;
    if (*kind == RouteChangeKind::link_changed)
      whole = parse_link(body, c);
    else if (*kind == RouteChangeKind::route_added || *kind == RouteChangeKind::route_removed)
      whole = parse_route(body, c, attrs_ok);
    else
      whole = parse_addr(body, c, attrs_ok);
    if (!whole || !attrs_ok) ++stats.malformed;
    // One with a bad attribute still says that something changed.
    if (whole) out.push_back(c);
  });
  if (!whole_datagram) ++stats.malformed;
}

Result<RouteWatch> RouteWatch::open() {
  RouteWatch w;
  w.fd_.reset(::socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE));
  if (!w.fd_) {
    int err = errno;
    return make_error(err == EPERM || err == EACCES ? Errc::environment : Errc::io, "rtnetlink",
                      "rtnetlink: socket: " + errno_text(err));
  }
  sockaddr_nl sa{};
  sa.nl_family = AF_NETLINK;
  sa.nl_groups =
      RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR | RTMGRP_IPV4_ROUTE | RTMGRP_IPV6_ROUTE;
  if (::bind(w.fd_.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) < 0) {
    int err = errno;
    return make_error(Errc::io, "rtnetlink", "rtnetlink: bind to groups: " + errno_text(err));
  }
  w.rx_.resize(kRxBuffer);
  return w;
}

Result<bool> RouteWatch::read(std::vector<RouteChange>& out) {
  bool overflow = false;
  for (;;) {
    sockaddr_nl from{};
    socklen_t len = sizeof from;
    ssize_t n = ::recvfrom(fd_.get(), rx_.data(), rx_.size(), MSG_DONTWAIT,
                           reinterpret_cast<sockaddr*>(&from), &len);
    if (n < 0) {
      int err = errno;
      if (err == EINTR) continue;
      if (err == EAGAIN || err == EWOULDBLOCK) return overflow;
      if (err == ENOBUFS) { // the kernel dropped notifications: what we know is stale
        overflow = true;
        continue;
      }
      return make_error(Errc::io, "rtnetlink", "rtnetlink: receive: " + errno_text(err));
    }
    if (from.nl_pid != 0) continue; // only the kernel speaks on these groups
    parse_route_changes(ByteView(rx_.data(), size_t(n)), out, stats_);
  }
}

Result<std::optional<IpAddress>> route_source(const IpAddress& remote) {
  Fd fd(::socket(remote.is_v4() ? AF_INET : AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!fd) {
    int err = errno;
    return make_error(Errc::io, "route", "route to " + remote.to_string() + ": " + errno_text(err));
  }
  sockaddr_storage ss;
  // connect() on UDP sends nothing: it looks the route up and fixes the source.
  socklen_t len = to_sockaddr(Endpoint{remote, 9}, ss);
  int rc = ::connect(fd.get(), reinterpret_cast<sockaddr*>(&ss), len);
  int err = errno;
  if (rc == 0) {
    len = sizeof ss;
    rc = ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&ss), &len);
    err = errno;
  }
  fd.reset();
  if (rc != 0) {
    if (err == ENETUNREACH || err == EHOSTUNREACH || err == ENETDOWN || err == EADDRNOTAVAIL ||
        err == EINVAL)
      return std::optional<IpAddress>();
    return make_error(Errc::io, "route", "route to " + remote.to_string() + ": " + errno_text(err));
  }
  auto e = from_sockaddr(ss);
  if (!e) return std::optional<IpAddress>();
  return std::optional<IpAddress>(e->address);
}

} // namespace ikekit::io
