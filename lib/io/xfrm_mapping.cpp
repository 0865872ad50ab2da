#include "io/xfrm_mapping.hpp"

#include "io/netlink_socket.hpp" // errno_text
#include "io/netlink_walk.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <linux/netlink.h>
#include <linux/xfrm.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

namespace ikekit::io {

namespace {

// Mapping reports are one small message each; a page holds a burst of them.
constexpr size_t kMappingRxBuffer = 8192;

IpAddress address_of(const xfrm_address_t& a, uint16_t family) {
  const auto* b = reinterpret_cast<const uint8_t*>(&a);
  return family == AF_INET ? IpAddress::v4(ByteView(b, 4)) : IpAddress::v6(ByteView(b, 16));
}

// One XFRM_MSG_MAPPING body: false (counted) when the kernel could not have meant it.
bool parse_mapping(ByteView body, XfrmMapping& m, XfrmMappingStats& stats) {
  xfrm_user_mapping um;
  if (body.size() < sizeof um) {
    ++stats.truncated;
    return false;
  }
  std::memcpy(&um, body.data(), sizeof um);
  if (um.id.family != AF_INET && um.id.family != AF_INET6) {
    ++stats.bad_family;
    return false;
  }
  if (um.id.proto != IPPROTO_ESP) {
    ++stats.not_esp;
    return false;
  }
  if (um.new_sport == 0) { // RFC 3948: ESP in UDP always has a source port
    ++stats.bad_port;
    return false;
  }
  m.dst = address_of(um.id.daddr, um.id.family);
  m.spi = ntohl(um.id.spi);
  m.reqid = um.reqid;
  m.old_source = Endpoint{address_of(um.old_saddr, um.id.family), ntohs(um.old_sport)};
  m.new_source = Endpoint{address_of(um.new_saddr, um.id.family), ntohs(um.new_sport)};
  ++stats.received;
  return true;
}

} // namespace

void parse_xfrm_mappings(ByteView buf, std::vector<XfrmMapping>& out, XfrmMappingStats& stats) {
  bool whole = walk_netlink_messages(buf, [&](const nlmsghdr& h, ByteView body) {
    if (h.nlmsg_type != XFRM_MSG_MAPPING) {
      ++stats.other_type;
      return;
    }
    XfrmMapping m;
    if (parse_mapping(body, m, stats)) out.push_back(m);
  });
  if (!whole) ++stats.truncated;
}

void accept_xfrm_datagram(uint32_t sender_port_id, ByteView buf, std::vector<XfrmMapping>& out,
                          XfrmMappingStats& stats) {
  // Only the kernel reports mappings (its own ESP input, after the ICV); a root
  // process may send to the group too, and must not move an SA by it.
  if (sender_port_id != 0) {
    ++stats.not_from_kernel;
    return;
  }
  parse_xfrm_mappings(buf, out, stats);
}

Result<XfrmMappingWatch> XfrmMappingWatch::open() {
  XfrmMappingWatch w;
  w.fd_.reset(::socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_XFRM));
  if (!w.fd_) {
    int err = errno;
    return make_error(Errc::environment, "xfrm_mapping",
                      "NETLINK_XFRM socket: " + errno_text(err) +
                          ": the kernel lacks XFRM (CONFIG_XFRM_USER)");
  }
  sockaddr_nl sa{};
  sa.nl_family = AF_NETLINK;
  if (::bind(w.fd_.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) < 0) {
    int err = errno;
    return make_error(Errc::io, "xfrm_mapping", "NETLINK_XFRM bind: " + errno_text(err));
  }
  int group = XFRMNLGRP_MAPPING;
  if (::setsockopt(w.fd_.get(), SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &group, sizeof group) < 0) {
    int err = errno;
    return make_error(err == EPERM || err == EACCES ? Errc::environment : Errc::io, "xfrm_mapping",
                      "joining XFRMNLGRP_MAPPING: " + errno_text(err) +
                          (err == EPERM ? " (needs CAP_NET_ADMIN)" : ""));
  }
  w.rx_.resize(kMappingRxBuffer);
  return w;
}

Result<bool> XfrmMappingWatch::subscribed() const {
  uint32_t groups[4] = {}; // a bit per group, XFRMNLGRP_MAPPING is bit 7
  socklen_t len = sizeof groups;
  if (::getsockopt(fd_.get(), SOL_NETLINK, NETLINK_LIST_MEMBERSHIPS, groups, &len) < 0) {
    int err = errno;
    return make_error(Errc::io, "xfrm_mapping", "NETLINK_LIST_MEMBERSHIPS: " + errno_text(err));
  }
  const unsigned bit = XFRMNLGRP_MAPPING - 1;
  return bit / 32 < len / 4 && ((groups[bit / 32] >> (bit % 32)) & 1u) != 0;
}

Result<void> XfrmMappingWatch::read(std::vector<XfrmMapping>& out, XfrmMappingStats& stats) {
  for (;;) {
    sockaddr_nl from{};
    socklen_t len = sizeof from;
    ssize_t n = ::recvfrom(fd_.get(), rx_.data(), rx_.size(), MSG_DONTWAIT,
                           reinterpret_cast<sockaddr*>(&from), &len);
    if (n < 0) {
      int err = errno;
      if (err == EINTR) continue;
      if (err == EAGAIN || err == EWOULDBLOCK) return {};
      if (err == ENOBUFS) { // lost reports: the next ESP from there reports again
        ++stats.overflows;
        continue;
      }
      return make_error(Errc::io, "xfrm_mapping", "NETLINK_XFRM receive: " + errno_text(err));
    }
    accept_xfrm_datagram(from.nl_pid, ByteView(rx_.data(), size_t(n)), out, stats);
  }
}

} // namespace ikekit::io
