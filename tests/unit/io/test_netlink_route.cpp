// rtnetlink requests for the TUN data plane: structure of what we send.
#include "io/endpoint.hpp"
#include "io/netlink_route.hpp"
#include "ip_literal.hpp"

#include <array>
#include <catch2/catch.hpp>
#include <cstring>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <net/if.h>

using namespace ikekit;
using ikekit::test::ip;
using namespace ikekit::io;

namespace {
// Finds attribute `type` after a fixed header of `extra` bytes; returns its payload.
ByteView attr(ByteView msg, size_t extra, uint16_t type) {
  size_t off = NLMSG_HDRLEN + NLMSG_ALIGN(extra);
  while (off + 4 <= msg.size()) {
    uint16_t len, t;
    std::memcpy(&len, msg.data() + off, 2);
    std::memcpy(&t, msg.data() + off + 2, 2);
    if (len < 4) break;
    if (t == type) return msg.subspan(off + 4, len - 4u);
    off += NLMSG_ALIGN(len);
  }
  return {};
}
} // namespace

TEST_CASE("RTM_NEWROUTE clears host bits and routes via the device", "[route]") {
  alignas(8) std::array<uint8_t, 512> buf{};
  RouteSpec r;
  r.dst = *Prefix::parse("10.78.1.2/16");
  r.ifindex = 7;
  r.table = 1000; // > 255: needs RTA_TABLE
  auto n = build_rt_route(true, r, 5, buf);
  REQUIRE(n);
  ByteView m(buf.data(), *n);
  nlmsghdr h;
  std::memcpy(&h, m.data(), sizeof h);
  CHECK(h.nlmsg_type == RTM_NEWROUTE);
  CHECK(h.nlmsg_flags == (NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL));
  CHECK(h.nlmsg_seq == 5);
  rtmsg rtm;
  std::memcpy(&rtm, m.data() + NLMSG_HDRLEN, sizeof rtm);
  CHECK(rtm.rtm_dst_len == 16);
  CHECK(rtm.rtm_table == RT_TABLE_UNSPEC);
  CHECK(rtm.rtm_scope == RT_SCOPE_LINK);
  const uint8_t net[] = {10, 78, 0, 0};
  CHECK(equal_bytes(attr(m, sizeof(rtmsg), RTA_DST), net));
  uint32_t oif = 0, table = 0;
  std::memcpy(&oif, attr(m, sizeof(rtmsg), RTA_OIF).data(), 4);
  std::memcpy(&table, attr(m, sizeof(rtmsg), RTA_TABLE).data(), 4);
  CHECK(oif == 7);
  CHECK(table == 1000);
}

TEST_CASE("RTM_NEWADDR carries IFA_LOCAL and IFA_ADDRESS; IPv6 skips DAD", "[route]") {
  alignas(8) std::array<uint8_t, 512> buf{};
  auto n = build_rt_addr(true, 3, *Prefix::parse("fd00:77::1/64"), 1, buf);
  REQUIRE(n);
  ByteView m(buf.data(), *n);
  ifaddrmsg ifa;
  std::memcpy(&ifa, m.data() + NLMSG_HDRLEN, sizeof ifa);
  CHECK(ifa.ifa_prefixlen == 64);
  CHECK(ifa.ifa_index == 3);
  CHECK(ifa.ifa_flags == IFA_F_NODAD);
  CHECK(attr(m, sizeof(ifaddrmsg), IFA_LOCAL).size() == 16);
  CHECK(attr(m, sizeof(ifaddrmsg), IFA_ADDRESS).size() == 16);
}

TEST_CASE("RTM_NEWLINK sets the MTU and the up flag", "[route]") {
  alignas(8) std::array<uint8_t, 512> buf{};
  auto n = build_rt_setlink(LinkChange{4, 1400, true}, 1, buf);
  REQUIRE(n);
  ByteView m(buf.data(), *n);
  ifinfomsg ifi;
  std::memcpy(&ifi, m.data() + NLMSG_HDRLEN, sizeof ifi);
  CHECK(ifi.ifi_index == 4);
  CHECK(ifi.ifi_change == IFF_UP);
  CHECK(ifi.ifi_flags == IFF_UP);
  uint32_t mtu = 0;
  std::memcpy(&mtu, attr(m, sizeof(ifinfomsg), IFLA_MTU).data(), 4);
  CHECK(mtu == 1400);
  CHECK_FALSE(build_rt_setlink(LinkChange{4, 1400, true}, 1, MutBytes(buf).first(20)));
}

TEST_CASE("endpoints round-trip through sockaddr and print with brackets for IPv6", "[route]") {
  for (const char* a : {"192.0.2.1", "2001:db8::7"}) {
    Endpoint e{ip(a), 4500};
    sockaddr_storage ss;
    to_sockaddr(e, ss);
    auto back = from_sockaddr(ss);
    REQUIRE(back);
    CHECK(*back == e);
  }
  CHECK(Endpoint{ip("2001:db8::7"), 500}.to_string() == "[2001:db8::7]:500");
}
