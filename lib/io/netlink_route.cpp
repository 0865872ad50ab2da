#include "io/netlink_route.hpp"

#include <array>
#include <cerrno>
#include <cstring>
#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sys/socket.h>

namespace ikekit::io {

namespace {

constexpr size_t kMsgBuf = 512;

Result<nlmsghdr*> start(MutBytes out, uint16_t type, uint16_t flags, uint32_t seq, size_t extra,
                        std::string_view what) {
  if (reinterpret_cast<uintptr_t>(out.data()) % 4 != 0)
    return make_error(Errc::bad_value, std::string(what), "netlink buffer must be 4-byte aligned");
  if (out.size() < mnl_nlmsg_size(extra))
    return make_error(Errc::bad_length, std::string(what),
                      "output buffer of " + std::to_string(out.size()) + " bytes is too small");
  std::memset(out.data(), 0, mnl_nlmsg_size(extra));
  nlmsghdr* nlh = mnl_nlmsg_put_header(out.data());
  nlh->nlmsg_type = type;
  nlh->nlmsg_flags = flags;
  nlh->nlmsg_seq = seq;
  mnl_nlmsg_put_extra_header(nlh, extra);
  return nlh;
}

Result<size_t> too_small(MutBytes out, std::string_view what) {
  return make_error(Errc::bad_length, std::string(what),
                    "output buffer of " + std::to_string(out.size()) + " bytes is too small");
}

bool put_addr(nlmsghdr* nlh, MutBytes out, uint16_t type, const IpAddress& a) {
  return mnl_attr_put_check(nlh, out.size(), type, a.bytes().size(), a.bytes().data());
}

// The network address of a prefix: host bits cleared (the kernel refuses a route
// "10.1.2.3/16").
IpAddress network_of(const Prefix& p) {
  std::array<uint8_t, 16> b{};
  auto src = p.addr.bytes();
  std::memcpy(b.data(), src.data(), src.size());
  for (size_t i = 0; i < src.size(); ++i) {
    size_t bit = i * 8;
    if (bit >= p.len)
      b[i] = 0;
    else if (bit + 8 > p.len)
      b[i] &= uint8_t(0xff << (8 - (p.len - bit)));
  }
  return p.addr.is_v4() ? IpAddress::v4(ByteView(b.data(), 4)) : IpAddress::v6(ByteView(b));
}

std::string ifname(int ifindex) {
  char name[IF_NAMESIZE] = {};
  if (if_indextoname(unsigned(ifindex), name)) return name;
  return "ifindex " + std::to_string(ifindex);
}

} // namespace

Result<size_t> build_rt_setlink(const LinkChange& c, uint32_t seq, MutBytes out) {
  constexpr std::string_view what = "rtnetlink.newlink";
  auto nlh = start(out, RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK, seq, sizeof(ifinfomsg), what);
  if (!nlh) return nlh.error();
  ifinfomsg ifi{};
  ifi.ifi_family = AF_UNSPEC;
  ifi.ifi_index = c.ifindex;
  if (c.up) {
    ifi.ifi_change = IFF_UP;
    ifi.ifi_flags = *c.up ? IFF_UP : 0;
  }
  std::memcpy(mnl_nlmsg_get_payload(*nlh), &ifi, sizeof ifi);
  if (c.mtu && !mnl_attr_put_u32_check(*nlh, out.size(), IFLA_MTU, *c.mtu))
    return too_small(out, what);
  return size_t((*nlh)->nlmsg_len);
}

Result<size_t> build_rt_addr(bool add, int ifindex, const Prefix& a, uint32_t seq, MutBytes out) {
  constexpr std::string_view what = "rtnetlink.newaddr";
  uint16_t flags = NLM_F_REQUEST | NLM_F_ACK | (add ? NLM_F_CREATE | NLM_F_EXCL : 0);
  auto nlh = start(out, add ? RTM_NEWADDR : RTM_DELADDR, flags, seq, sizeof(ifaddrmsg), what);
  if (!nlh) return nlh.error();
  ifaddrmsg ifa{};
  ifa.ifa_family = a.addr.is_v4() ? AF_INET : AF_INET6;
  ifa.ifa_prefixlen = a.len;
  ifa.ifa_flags = a.addr.is_v4() ? 0 : IFA_F_NODAD;
  ifa.ifa_scope = RT_SCOPE_UNIVERSE;
  ifa.ifa_index = uint32_t(ifindex);
  std::memcpy(mnl_nlmsg_get_payload(*nlh), &ifa, sizeof ifa);
  if (!put_addr(*nlh, out, IFA_LOCAL, a.addr) || !put_addr(*nlh, out, IFA_ADDRESS, a.addr))
    return too_small(out, what);
  return size_t((*nlh)->nlmsg_len);
}

Result<size_t> build_rt_route(bool add, const RouteSpec& r, uint32_t seq, MutBytes out) {
  constexpr std::string_view what = "rtnetlink.newroute";
  if (r.gateway && r.gateway->family() != r.dst.addr.family())
    return make_error(Errc::bad_value, "route.gateway", "gateway family differs from the route's");
  uint16_t flags = NLM_F_REQUEST | NLM_F_ACK | (add ? NLM_F_CREATE | NLM_F_EXCL : 0);
  auto nlh = start(out, add ? RTM_NEWROUTE : RTM_DELROUTE, flags, seq, sizeof(rtmsg), what);
  if (!nlh) return nlh.error();
  uint32_t table = r.table.value_or(RT_TABLE_MAIN);
  rtmsg rtm{};
  rtm.rtm_family = r.dst.addr.is_v4() ? AF_INET : AF_INET6;
  rtm.rtm_dst_len = r.dst.len;
  rtm.rtm_table = table < 256 ? uint8_t(table) : uint8_t(RT_TABLE_UNSPEC);
  rtm.rtm_protocol = add ? RTPROT_BOOT : 0;
  rtm.rtm_scope = add ? (r.gateway ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK) : RT_SCOPE_NOWHERE;
  rtm.rtm_type = RTN_UNICAST;
  std::memcpy(mnl_nlmsg_get_payload(*nlh), &rtm, sizeof rtm);
  bool ok = put_addr(*nlh, out, RTA_DST, network_of(r.dst)) &&
            mnl_attr_put_u32_check(*nlh, out.size(), RTA_OIF, uint32_t(r.ifindex));
  if (ok && r.gateway) ok = put_addr(*nlh, out, RTA_GATEWAY, *r.gateway);
  if (ok && r.src) ok = put_addr(*nlh, out, RTA_PREFSRC, *r.src);
  if (ok && table >= 256) ok = mnl_attr_put_u32_check(*nlh, out.size(), RTA_TABLE, table);
  if (ok && r.metric) ok = mnl_attr_put_u32_check(*nlh, out.size(), RTA_PRIORITY, *r.metric);
  if (!ok) return too_small(out, what);
  return size_t((*nlh)->nlmsg_len);
}

Result<RouteNetlink> RouteNetlink::open() {
  auto nl = NetlinkSocket::open(NETLINK_ROUTE, "rtnetlink");
  if (!nl) return nl.error();
  return RouteNetlink(std::move(*nl));
}

Result<void> RouteNetlink::send(ByteView message, std::string_view what, std::string_view field) {
  auto ack = nl_.request(message);
  if (!ack) return ack.error();
  if (ack->error == 0) return {};
  std::string msg = std::string(what) + ": " + errno_text(ack->error) + " (" +
                    std::string(errno_name(ack->error)) + ")";
  if (!ack->extack.empty()) msg += " (kernel: " + ack->extack + ")";
  Errc code = Errc::io;
  if (ack->error == EPERM || ack->error == EACCES) {
    code = Errc::environment;
    msg += ": needs CAP_NET_ADMIN (run as root)";
  }
  return make_error(code, std::string(field), msg);
}

Result<void> RouteNetlink::set_link(const LinkChange& c) {
  alignas(8) std::array<uint8_t, kMsgBuf> buf;
  auto n = build_rt_setlink(c, nl_.next_seq(), buf);
  if (!n) return n.error();
  std::string what = "rtnetlink: set link " + ifname(c.ifindex);
  if (c.mtu) what += " mtu " + std::to_string(*c.mtu);
  if (c.up) what += *c.up ? " up" : " down";
  return send(ByteView(buf.data(), *n), what, c.mtu ? "mtu" : "link");
}

Result<void> RouteNetlink::add_address(int ifindex, const Prefix& a) {
  alignas(8) std::array<uint8_t, kMsgBuf> buf;
  auto n = build_rt_addr(true, ifindex, a, nl_.next_seq(), buf);
  if (!n) return n.error();
  return send(ByteView(buf.data(), *n),
              "rtnetlink: add address " + a.to_string() + " to " + ifname(ifindex), "address");
}

Result<void> RouteNetlink::delete_address(int ifindex, const Prefix& a) {
  alignas(8) std::array<uint8_t, kMsgBuf> buf;
  auto n = build_rt_addr(false, ifindex, a, nl_.next_seq(), buf);
  if (!n) return n.error();
  return send(ByteView(buf.data(), *n),
              "rtnetlink: delete address " + a.to_string() + " from " + ifname(ifindex), "address");
}

Result<void> RouteNetlink::add_route(const RouteSpec& r) {
  alignas(8) std::array<uint8_t, kMsgBuf> buf;
  auto n = build_rt_route(true, r, nl_.next_seq(), buf);
  if (!n) return n.error();
  return send(ByteView(buf.data(), *n),
              "rtnetlink: add route " + r.dst.to_string() + " dev " + ifname(r.ifindex), "route");
}

Result<void> RouteNetlink::delete_route(const RouteSpec& r) {
  alignas(8) std::array<uint8_t, kMsgBuf> buf;
  auto n = build_rt_route(false, r, nl_.next_seq(), buf);
  if (!n) return n.error();
  return send(ByteView(buf.data(), *n),
              "rtnetlink: delete route " + r.dst.to_string() + " dev " + ifname(r.ifindex),
              "route");
}

} // namespace ikekit::io
