// The rtnetlink watcher's parsing (io/route_watch.hpp): crafted kernel messages, cut at
// every byte, with lengths that lie; and route_source on loopback.
#include "io/route_watch.hpp"

#include <catch2/catch.hpp>
#include <cstring>
#include <linux/if_addr.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>
#include <vector>

using namespace ikekit;
using namespace ikekit::io;

namespace {

// Builds netlink messages as the kernel lays them out (host byte order, 4-byte aligned).
struct NlBuilder {
  std::vector<uint8_t> buf;
  size_t start = 0;

  template <typename T> void put(const T& v) {
    const auto* p = reinterpret_cast<const uint8_t*>(&v);
    buf.insert(buf.end(), p, p + sizeof v);
    buf.resize(NLMSG_ALIGN(buf.size()));
  }
  void begin(uint16_t type) {
    start = buf.size();
    nlmsghdr h{};
    h.nlmsg_type = type;
    put(h);
  }
  void attr(uint16_t type, const void* data, size_t len) {
    rtattr a{};
    a.rta_len = uint16_t(RTA_LENGTH(len));
    a.rta_type = type;
    size_t at = buf.size();
    put(a);
    buf.resize(at + RTA_LENGTH(0));
    const auto* p = static_cast<const uint8_t*>(data);
    buf.insert(buf.end(), p, p + len);
    buf.resize(RTA_ALIGN(buf.size()));
  }
  void end() {
    uint32_t len = uint32_t(buf.size() - start);
    std::memcpy(buf.data() + start, &len, sizeof len); // nlmsg_len comes first
  }
  ByteView view() const { return ByteView(buf.data(), buf.size()); }
};

const uint8_t kAddrA[4] = {10, 217, 1, 2};
const uint8_t kPeerA[4] = {10, 217, 1, 1};

void new_addr_v4(NlBuilder& b, uint16_t type = RTM_NEWADDR) {
  b.begin(type);
  ifaddrmsg ifa{};
  ifa.ifa_family = AF_INET;
  ifa.ifa_prefixlen = 24;
  ifa.ifa_index = 7;
  b.put(ifa);
  b.attr(IFA_ADDRESS, kPeerA, 4); // point-to-point: the peer's; IFA_LOCAL is ours
  b.attr(IFA_LOCAL, kAddrA, 4);
  b.end();
}

void default_route_v4(NlBuilder& b, uint16_t type) {
  b.begin(type);
  rtmsg rtm{};
  rtm.rtm_family = AF_INET;
  rtm.rtm_dst_len = 0;
  b.put(rtm);
  uint32_t oif = 3;
  b.attr(RTA_OIF, &oif, sizeof oif);
  b.end();
}

} // namespace

TEST_CASE("rtnetlink: address, route and link messages become changes", "[route_watch]") {
  NlBuilder b;
  new_addr_v4(b, RTM_DELADDR);
  default_route_v4(b, RTM_NEWROUTE);
  b.begin(NLMSG_DONE);
  b.put(int32_t(0));
  b.end();
  b.begin(RTM_NEWLINK);
  ifinfomsg ifi{};
  ifi.ifi_index = 9;
  b.put(ifi);
  b.end();
  b.begin(RTM_NEWADDR);
  ifaddrmsg ifa6{};
  ifa6.ifa_family = AF_INET6;
  ifa6.ifa_prefixlen = 64;
  ifa6.ifa_index = 4;
  b.put(ifa6);
  auto v6 = *IpAddress::parse("2001:db8::5");
  b.attr(IFA_ADDRESS, v6.bytes().data(), 16);
  b.end();

  std::vector<RouteChange> out;
  RouteParseStats stats;
  parse_route_changes(b.view(), out, stats);
  REQUIRE(out.size() == 4);
  CHECK(stats.malformed == 0);
  CHECK(stats.ignored == 1); // NLMSG_DONE
  CHECK(out[0].kind == RouteChangeKind::address_removed);
  CHECK(out[0].ifindex == 7);
  CHECK(out[0].prefix_len == 24);
  REQUIRE(out[0].address);
  CHECK(*out[0].address == *IpAddress::parse("10.217.1.2")); // IFA_LOCAL wins
  CHECK(out[1].kind == RouteChangeKind::route_added);
  CHECK(!out[1].address); // a default route has no RTA_DST
  CHECK(out[1].ifindex == 3);
  CHECK(out[2].kind == RouteChangeKind::link_changed);
  CHECK(out[2].ifindex == 9);
  CHECK(out[3].kind == RouteChangeKind::address_added);
  REQUIRE(out[3].address);
  CHECK(*out[3].address == v6);
  CHECK(route_change_kind_name(out[1].kind) == "route_added");
}

TEST_CASE("rtnetlink: a buffer cut at every byte yields only whole messages", "[route_watch]") {
  NlBuilder b;
  new_addr_v4(b);
  size_t first = b.buf.size();
  default_route_v4(b, RTM_DELROUTE);
  for (size_t n = 0; n <= b.buf.size(); ++n) {
    std::vector<uint8_t> cut(b.buf.begin(), b.buf.begin() + long(n)); // exactly n bytes
    std::vector<RouteChange> out;
    RouteParseStats stats;
    parse_route_changes(ByteView(cut.data(), cut.size()), out, stats);
    size_t whole = (n >= first ? 1 : 0) + (n == b.buf.size() ? 1 : 0);
    INFO("cut at " << n);
    CHECK(out.size() == whole);
    CHECK(stats.malformed == ((n == 0 || n == first || n == b.buf.size()) ? 0u : 1u));
  }
}

TEST_CASE("rtnetlink: lengths that lie are bounded", "[route_watch]") {
  RouteParseStats stats;
  std::vector<RouteChange> out;
  SECTION("nlmsg_len shorter than its header") {
    NlBuilder b;
    new_addr_v4(b);
    uint32_t len = 8;
    std::memcpy(b.buf.data(), &len, 4);
    parse_route_changes(b.view(), out, stats);
    CHECK(out.empty());
    CHECK(stats.malformed == 1);
  }
  SECTION("nlmsg_len beyond the buffer") {
    NlBuilder b;
    new_addr_v4(b);
    uint32_t len = uint32_t(b.buf.size() + 4);
    std::memcpy(b.buf.data(), &len, 4);
    parse_route_changes(b.view(), out, stats);
    CHECK(out.empty());
    CHECK(stats.malformed == 1);
  }
  SECTION("a body too short for its ifaddrmsg") {
    NlBuilder b;
    b.begin(RTM_NEWADDR);
    b.put(uint32_t(0)); // 4 of ifaddrmsg's 8 bytes
    b.end();
    parse_route_changes(b.view(), out, stats);
    CHECK(out.empty());
    CHECK(stats.malformed == 1);
  }
  SECTION("an attribute longer than its message: the change stays, its address goes") {
    NlBuilder b;
    new_addr_v4(b);
    // The first attribute (IFA_ADDRESS) claims 200 bytes.
    size_t at = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(ifaddrmsg));
    uint16_t big = 200;
    std::memcpy(b.buf.data() + at, &big, 2);
    parse_route_changes(b.view(), out, stats);
    REQUIRE(out.size() == 1);
    CHECK(!out[0].address);
    CHECK(stats.malformed == 1);
  }
  SECTION("an attribute shorter than its own header") {
    NlBuilder b;
    new_addr_v4(b);
    size_t at = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(ifaddrmsg));
    uint16_t tiny = 2;
    std::memcpy(b.buf.data() + at, &tiny, 2);
    parse_route_changes(b.view(), out, stats);
    REQUIRE(out.size() == 1);
    CHECK(!out[0].address);
    CHECK(stats.malformed == 1);
  }
  SECTION("an address attribute of the wrong size is no address") {
    NlBuilder b;
    b.begin(RTM_NEWADDR);
    ifaddrmsg ifa{};
    ifa.ifa_family = AF_INET;
    b.put(ifa);
    uint8_t three[3] = {1, 2, 3};
    b.attr(IFA_LOCAL, three, 3);
    b.end();
    parse_route_changes(b.view(), out, stats);
    REQUIRE(out.size() == 1);
    CHECK(!out[0].address);
    CHECK(stats.malformed == 0);
  }
}

TEST_CASE("route_source: the kernel's source towards loopback", "[route_watch]") {
  auto src = route_source(*IpAddress::parse("127.0.0.1"));
  REQUIRE(src);
  REQUIRE(*src);
  CHECK(**src == *IpAddress::parse("127.0.0.1"));
}
