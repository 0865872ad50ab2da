// What the XFRM data plane sends to the kernel for install, rekey (RFC 7296 2.8) and
// removal: message types, order, reqids and selectors, read back from the netlink
// bytes. A small stand-in for the kernel's SAD/SPD answers as Linux does (EEXIST for a
// second NEWPOLICY of the same selectors, ENOENT for a missing policy), and after
// every message checks that the Child SA's traffic is never without its policies, and
// that every policy's reqid has an outbound state to use (issue 11, High 4).
#include "../../io/test_keys.hpp"
#include "fake_xfrm_kernel.hpp"
#include "io/dataplane/xfrm_dataplane.hpp"
#include "ip_literal.hpp"

#include <arpa/inet.h>
#include <catch2/catch.hpp>
#include <cerrno>
#include <cstring>
#include <functional>
#include <linux/netlink.h>
#include <linux/xfrm.h>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <vector>

using namespace ikekit;
using namespace ikekit::test;
using namespace ikekit::io;
using namespace ikekit::io::dataplane;

namespace {

esp::TrafficSelector ts(const char* prefix, uint8_t proto = 0, uint16_t lo = 0,
                        uint16_t hi = 65535) {
  return esp::TrafficSelector{*Prefix::parse(prefix), proto, lo, hi};
}

ChildSaSpec spec(uint32_t spi_in, uint32_t spi_out, uint64_t ike_sa) {
  ChildSaSpec s;
  s.in = netns_test::gcm_keys(spi_in);
  s.out = netns_test::gcm_keys(spi_out);
  s.local = ip("192.0.2.1");
  s.remote = ip("192.0.2.2");
  s.local_ts = {ts("10.1.0.0/16")};
  s.remote_ts = {ts("10.2.0.0/16")};
  s.ike_sa = ike_sa;
  return s;
}

XfrmDataplane open(FakeKernel& k) {
  auto dp = XfrmDataplane::open({.local = ip("192.0.2.1"), .udp_encap = false}, k.netlink());
  REQUIRE(dp);
  return std::move(*dp);
}

const std::string kOut = "10.1.0.0/16>10.2.0.0/16 p0 0/0 0/0";
const std::string kIn = "10.2.0.0/16>10.1.0.0/16 p0 0/0 0/0";

} // namespace

TEST_CASE("XFRM rekey keeps the policies: same reqid, UPDPOLICY, old states go last", "[xfrm]") {
  FakeKernel k;
  bool up = false; // between the first install and the last removal
  k.after_each = [&] {
    if (!up) return;
    // Never a moment without the out, in and fwd policies ...
    for (uint8_t dir : {XFRM_POLICY_OUT, XFRM_POLICY_IN, XFRM_POLICY_FWD}) {
      auto it = k.policies.find({dir == XFRM_POLICY_OUT ? kOut : kIn, dir});
      REQUIRE(it != k.policies.end());
      // ... and never one whose reqid has no state to use.
      bool used = false;
      for (const auto& [key, reqid] : k.states)
        used |= reqid == it->second;
      CHECK(used);
    }
  };
  auto dp = open(k);

  // Install: states (inbound first), then out, in, fwd policies, all with one reqid.
  REQUIRE(dp.install_child_sa(spec(0xc2000001, 0xc1000001, 7)));
  up = true;
  REQUIRE(k.log.size() == 5);
  CHECK(k.log[0].type == XFRM_MSG_NEWSA);
  CHECK(k.log[0].spi == 0xc2000001);
  CHECK(k.log[1].type == XFRM_MSG_NEWSA);
  CHECK(k.log[1].spi == 0xc1000001);
  uint32_t reqid = k.log[0].reqid;
  CHECK(reqid == 0xc2000001);
  CHECK(k.log[1].reqid == reqid);
  CHECK(k.log[2].type == XFRM_MSG_NEWPOLICY);
  CHECK(k.log[2].dir == XFRM_POLICY_OUT);
  CHECK(k.log[2].sel == kOut);
  CHECK(k.log[3].dir == XFRM_POLICY_IN);
  CHECK(k.log[3].sel == kIn);
  CHECK(k.log[4].dir == XFRM_POLICY_FWD);
  for (size_t i = 2; i < 5; ++i)
    CHECK(k.log[i].reqid == reqid);

  // Rekey (RFC 7296 2.8): the new pair's states with the old reqid, then the shared
  // policies updated in place; no NEWPOLICY (EEXIST), no DELPOLICY.
  k.log.clear();
  auto rekeyed = spec(0xc2000002, 0xc1000002, 7);
  rekeyed.replaces_spi_in = 0xc2000001;
  auto r = dp.install_child_sa(rekeyed);
  REQUIRE(r);
  REQUIRE(k.log.size() == 5);
  CHECK(k.log[0].type == XFRM_MSG_NEWSA);
  CHECK(k.log[0].spi == 0xc2000002);
  CHECK(k.log[0].reqid == reqid);
  CHECK(k.log[1].type == XFRM_MSG_NEWSA);
  CHECK(k.log[1].spi == 0xc1000002);
  CHECK(k.log[1].reqid == reqid);
  for (size_t i = 2; i < 5; ++i) {
    CHECK(k.log[i].type == XFRM_MSG_UPDPOLICY);
    CHECK(k.log[i].reqid == reqid);
  }
  CHECK(k.log[2].sel == kOut);

  // The old pair goes: only its states; the policies stay (the new pair uses them).
  k.log.clear();
  REQUIRE(dp.remove_child_sa(0xc2000001));
  REQUIRE(k.log.size() == 2);
  CHECK(k.log[0].type == XFRM_MSG_DELSA);
  CHECK(k.log[0].spi == 0xc1000001);
  CHECK(k.log[1].type == XFRM_MSG_DELSA);
  CHECK(k.log[1].spi == 0xc2000001);
  CHECK(k.policies.size() == 3);

  // A second rekey from the rekeyed pair keeps the same reqid.
  k.log.clear();
  auto again = spec(0xc2000003, 0xc1000003, 7);
  again.replaces_spi_in = 0xc2000002;
  REQUIRE(dp.install_child_sa(again));
  CHECK(k.log[0].reqid == reqid);
  REQUIRE(dp.remove_child_sa(0xc2000002));

  // The last pair goes: policies first (none left naming a state that is gone), then
  // its states.
  k.log.clear();
  up = false;
  REQUIRE(dp.remove_child_sa(0xc2000003));
  REQUIRE(k.log.size() == 5);
  for (size_t i = 0; i < 3; ++i)
    CHECK(k.log[i].type == XFRM_MSG_DELPOLICY);
  CHECK(k.log[3].type == XFRM_MSG_DELSA);
  CHECK(k.log[4].type == XFRM_MSG_DELSA);
  CHECK(k.policies.empty());
  CHECK(k.states.empty());
}

TEST_CASE("XFRM: removing the new pair first keeps the old pair's policies", "[xfrm]") {
  FakeKernel k;
  auto dp = open(k);
  REQUIRE(dp.install_child_sa(spec(0xc2000001, 0xc1000001, 7)));
  auto rekeyed = spec(0xc2000002, 0xc1000002, 7);
  rekeyed.replaces_spi_in = 0xc2000001;
  REQUIRE(dp.install_child_sa(rekeyed));
  k.log.clear();
  REQUIRE(dp.remove_child_sa(0xc2000002)); // e.g. the loser of a rekey collision
  CHECK(k.count(XFRM_MSG_DELPOLICY) == 0);
  CHECK(k.count(XFRM_MSG_DELSA) == 2);
  CHECK(k.policies.size() == 3);
  REQUIRE(dp.remove_all());
  CHECK(k.policies.empty());
  CHECK(k.states.empty());
}

TEST_CASE("XFRM: another IKE SA's overlapping selectors are refused before the kernel", "[xfrm]") {
  FakeKernel k;
  auto dp = open(k);
  REQUIRE(dp.install_child_sa(spec(0xc2000001, 0xc1000001, 7)));
  k.log.clear();
  auto other = spec(0xc2000009, 0xc1000009, 8);
  other.remote_ts = {ts("0.0.0.0/1"), ts("128.0.0.0/1")};
  auto r = dp.install_child_sa(other);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::bad_value);
  CHECK(r.error().field == "remote_ts");
  CHECK(r.error().message.find("c2000001") != std::string::npos);
  CHECK(k.log.empty());
  // A rekey naming another IKE SA's pair is no rekey either.
  other.remote_ts = {ts("10.2.0.0/16")};
  other.replaces_spi_in = 0xc2000001;
  CHECK_FALSE(dp.install_child_sa(other));
  CHECK(k.log.empty());
  // Disjoint selectors of another IKE SA are fine, with their own reqid even when they
  // name another IKE SA's pair as the one they replace.
  other.remote_ts = {ts("10.3.0.0/16")};
  CHECK(dp.install_child_sa(other));
  REQUIRE_FALSE(k.log.empty());
  CHECK(k.log[0].type == XFRM_MSG_NEWSA);
  CHECK(k.log[0].reqid == 0xc2000009);
  REQUIRE(dp.remove_all());
  auto st = dp.stats();
  REQUIRE(st);
  CHECK(st->sa_refused == 2);
}

TEST_CASE("XFRM: a kernel without ESP refuses the state, naming CONFIG_INET_ESP", "[xfrm]") {
  FakeKernel k;
  k.refuse = [](const Msg& m) { return m.type == XFRM_MSG_NEWSA ? EPROTONOSUPPORT : 0; };
  auto dp = open(k);
  auto r = dp.install_child_sa(spec(0xc2000001, 0xc1000001, 7));
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::environment);
  CHECK(r.error().message.find("CONFIG_INET_ESP") != std::string::npos);
  REQUIRE(k.log.size() == 1); // nothing after the refused state, nothing left behind
  CHECK(k.log[0].type == XFRM_MSG_NEWSA);

  // The inbound state taken, the outbound refused (no such algorithm): the inbound one
  // is deleted again, no policy is sent.
  FakeKernel k2;
  k2.refuse = [](const Msg& m) {
    return m.type == XFRM_MSG_NEWSA && m.spi == 0xc1000001 ? ENOSYS : 0;
  };
  auto dp2 = open(k2);
  auto r2 = dp2.install_child_sa(spec(0xc2000001, 0xc1000001, 7));
  REQUIRE_FALSE(r2);
  CHECK(r2.error().code == Errc::environment);
  CHECK(r2.error().field == "out.sa");
  CHECK(r2.error().message.find("CONFIG_INET_ESP") != std::string::npos);
  REQUIRE(k2.log.size() == 3);
  CHECK(k2.log[2].type == XFRM_MSG_DELSA);
  CHECK(k2.log[2].spi == 0xc2000001);
  CHECK(k2.states.empty());
  CHECK(k2.count(XFRM_MSG_NEWPOLICY) == 0);
}

TEST_CASE("XFRM policies carry protocol and ports; ICMP Type/Code in sport/dport", "[xfrm]") {
  auto s = spec(0xc2000001, 0xc1000001, 7);
  s.mode = EspMode::transport;
  s.local_ts = {ts("10.1.0.1/32", 6, 1000, 2000)};
  s.remote_ts = {ts("10.2.0.1/32", 6, 80, 80)};
  auto p = XfrmDataplane::plan(s, 5, std::nullopt);
  REQUIRE(p);
  // 1000-2000: 1000/ffff8 ... as 7 value/mask blocks; transport: out + in each.
  auto blocks = esp::port_range_blocks(1000, 2000);
  REQUIRE(p->policies.size() == 2 * blocks.size());
  const XfrmPolicy& out = p->policies[0];
  CHECK(out.dir == XfrmDir::out);
  CHECK(out.sel.proto == 6);
  CHECK(out.sel.sport == blocks[0].value);
  CHECK(out.sel.sport_mask == blocks[0].mask);
  CHECK(out.sel.dport == 80);
  CHECK(out.sel.dport_mask == 0xffff);
  const XfrmPolicy& in = p->policies[1];
  CHECK(in.dir == XfrmDir::in);
  CHECK(in.sel.sport == 80); // inbound: the remote port is the source port
  CHECK(in.sel.dport == blocks[0].value);

  // ICMP echo request (type 8, any code): sport 8/ff, dport any, in both directions.
  s.local_ts = {ts("10.1.0.1/32", 1, 0x0800, 0x08ff)};
  s.remote_ts = {ts("10.2.0.1/32", 1)};
  p = XfrmDataplane::plan(s, 5, std::nullopt);
  REQUIRE(p);
  REQUIRE(p->policies.size() == 2);
  for (const XfrmPolicy& pol : p->policies) {
    CHECK(pol.sel.proto == 1);
    CHECK(pol.sel.sport == 8);
    CHECK(pol.sel.sport_mask == 0xff);
    CHECK(pol.sel.dport == 0);
    CHECK(pol.sel.dport_mask == 0);
  }
  // Selectors needing more policies than the kernel should carry for one SA.
  s.local_ts = {ts("10.1.0.1/32", 6, 1, 65534)};
  s.remote_ts = {ts("10.2.0.1/32", 6, 1, 65534)};
  auto big = XfrmDataplane::plan(s, 5, std::nullopt);
  REQUIRE_FALSE(big);
  CHECK(big.error().field == "remote_ts");
}

// RFC 4555 3.5 (MOBIKE) / RFC 7296 2.23 (NAT mapping change): the pair's states take the
// new outer addresses and encapsulation ports, the policies' templates the new tunnel
// endpoints; the policies are never deleted, and a state under a new (dst, SPI) is
// added before the old one goes.
TEST_CASE("XFRM move: new states beside the old, policies updated in place", "[xfrm]") {
  FakeKernel k;
  auto s = spec(0xc2000001, 0xc1000001, 7);
  s.udp_encap = true;
  auto dp = open(k);
  REQUIRE(dp.install_child_sa(s));
  CHECK(k.log[0].outer == "192.0.2.2>192.0.2.1");
  CHECK(k.log[0].encap == "4500>4500");
  bool watching = true;
  size_t gaps = 0;
  k.after_each = [&] {
    if (!watching) return;
    // The three policies at every moment, each template with its state in the SAD.
    for (uint8_t dir : {XFRM_POLICY_OUT, XFRM_POLICY_IN, XFRM_POLICY_FWD}) {
      auto key = std::make_pair(dir == XFRM_POLICY_OUT ? kOut : kIn, dir);
      if (!k.policies.count(key)) {
        ++gaps;
        continue;
      }
      const std::string& outer = k.tmpl[key];
      uint32_t spi = dir == XFRM_POLICY_OUT ? 0xc1000001 : 0xc2000001;
      gaps += !k.states.count({outer.substr(outer.find('>')), spi});
    }
  };

  // MOBIKE: both ends moved, the peer behind a NAT that gave it port 4501.
  k.log.clear();
  auto r = dp.move_ike_sa(7, {ip("198.51.100.1"), ip("203.0.113.2"), 4500, 4501});
  REQUIRE(r);
  CHECK(gaps == 0);
  REQUIRE(k.log.size() == 7);
  CHECK(k.log[0].type == XFRM_MSG_NEWSA);
  CHECK(k.log[0].spi == 0xc2000001);
  CHECK(k.log[0].outer == "203.0.113.2>198.51.100.1");
  CHECK(k.log[0].encap == "4501>4500");
  CHECK(k.log[0].reqid == 0xc2000001);
  CHECK(k.log[1].type == XFRM_MSG_NEWSA);
  CHECK(k.log[1].spi == 0xc1000001);
  CHECK(k.log[1].outer == "198.51.100.1>203.0.113.2");
  CHECK(k.log[1].encap == "4500>4501");
  for (size_t i = 2; i < 5; ++i) {
    CHECK(k.log[i].type == XFRM_MSG_UPDPOLICY);
    CHECK(k.log[i].reqid == 0xc2000001);
    CHECK(k.log[i].outer == (k.log[i].dir == XFRM_POLICY_OUT ? "198.51.100.1>203.0.113.2"
                                                             : "203.0.113.2>198.51.100.1"));
  }
  CHECK(k.log[5].type == XFRM_MSG_DELSA);
  CHECK(k.log[5].spi == 0xc1000001);
  CHECK(k.log[5].outer == ">192.0.2.2");
  CHECK(k.log[6].type == XFRM_MSG_DELSA);
  CHECK(k.log[6].spi == 0xc2000001);
  CHECK(k.log[6].outer == ">192.0.2.1");
  CHECK(k.states.size() == 2);
  CHECK(k.policies.size() == 3);

  // NAT mapping change (RFC 7296 2.23): only the peer's address and port. The inbound
  // state keeps its key (our address): deleted and added again (the kernel has no
  // UPDSA for a new source); the policies stay meanwhile.
  k.log.clear();
  watching = false;
  REQUIRE(dp.move_ike_sa(7, {ip("198.51.100.1"), ip("203.0.113.9"), 4500, 1024}));
  REQUIRE(k.log.size() == 7);
  CHECK(k.log[0].type == XFRM_MSG_NEWSA);
  CHECK(k.log[0].outer == "198.51.100.1>203.0.113.9");
  CHECK(k.log[0].encap == "4500>1024");
  CHECK(k.log[1].type == XFRM_MSG_DELSA);
  CHECK(k.log[1].outer == ">198.51.100.1");
  CHECK(k.log[2].type == XFRM_MSG_NEWSA);
  CHECK(k.log[2].outer == "203.0.113.9>198.51.100.1");
  CHECK(k.log[2].encap == "1024>4500");
  for (size_t i = 3; i < 6; ++i)
    CHECK(k.log[i].type == XFRM_MSG_UPDPOLICY);
  CHECK(k.log[6].type == XFRM_MSG_DELSA);
  CHECK(k.log[6].outer == ">203.0.113.2");
  CHECK(k.count(XFRM_MSG_DELPOLICY) == 0);

  // RFC 4555 3.5: out of the NAT (ike_sa_encap_changed after the UPDATE_SA_ADDRESSES
  // response, or a move to a path without one): the same endpoints, both states added
  // again without XFRMA_ENCAP, the policies kept.
  k.log.clear();
  REQUIRE(dp.move_ike_sa(7, {ip("198.51.100.1"), ip("203.0.113.9"), 4500, 4500, false}));
  REQUIRE(k.log.size() == 7);
  CHECK(k.log[0].type == XFRM_MSG_DELSA);
  CHECK(k.log[0].outer == ">198.51.100.1");
  CHECK(k.log[1].type == XFRM_MSG_NEWSA);
  CHECK(k.log[1].spi == 0xc2000001);
  CHECK(k.log[1].outer == "203.0.113.9>198.51.100.1");
  CHECK(k.log[1].encap.empty());
  CHECK(k.log[2].type == XFRM_MSG_DELSA);
  CHECK(k.log[2].outer == ">203.0.113.9");
  CHECK(k.log[3].type == XFRM_MSG_NEWSA);
  CHECK(k.log[3].spi == 0xc1000001);
  CHECK(k.log[3].outer == "198.51.100.1>203.0.113.9");
  CHECK(k.log[3].encap.empty());
  for (size_t i = 4; i < 7; ++i)
    CHECK(k.log[i].type == XFRM_MSG_UPDPOLICY);
  // And back behind a NAT (a new mapping, port 4501): ESP in UDP again.
  k.log.clear();
  REQUIRE(dp.move_ike_sa(7, {ip("198.51.100.1"), ip("203.0.113.9"), 4500, 4501, true}));
  REQUIRE(k.count(XFRM_MSG_NEWSA) == 2);
  for (const Msg& m : k.log)
    if (m.type == XFRM_MSG_NEWSA)
      CHECK(m.encap == (m.spi == 0xc2000001 ? "4501>4500" : "4500>4501"));
  CHECK(k.count(XFRM_MSG_DELPOLICY) == 0);
  CHECK(k.states.size() == 2);

  // Nothing installed for another IKE SA.
  auto none = dp.move_ike_sa(8, {ip("198.51.100.1"), ip("203.0.113.9"), 4500, 4500});
  REQUIRE_FALSE(none);
  CHECK(none.error().code == Errc::not_found);

  // Removal finds the states under their new keys.
  REQUIRE(dp.remove_all());
  CHECK(k.states.empty());
  CHECK(k.policies.empty());
}

TEST_CASE("XFRM move on a kernel without ESP: refused, named, the pair as it was", "[xfrm]") {
  FakeKernel k;
  auto dp = open(k);
  REQUIRE(dp.install_child_sa(spec(0xc2000001, 0xc1000001, 7)));
  k.log.clear();
  k.refuse = [](const Msg& m) { return m.type == XFRM_MSG_NEWSA ? EPROTONOSUPPORT : 0; };
  auto r = dp.move_ike_sa(7, {ip("198.51.100.1"), ip("203.0.113.2"), 4500, 4500, false});
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::environment);
  CHECK(r.error().field == "in.sa");
  CHECK(r.error().message.find("CONFIG_INET_ESP") != std::string::npos);
  REQUIRE(k.log.size() == 1); // the first new state refused: nothing replaced
  CHECK(k.policies.size() == 3);
  CHECK(k.tmpl[{kOut, XFRM_POLICY_OUT}] == "192.0.2.1>192.0.2.2");
  k.refuse = nullptr;
  REQUIRE(dp.remove_all());
  CHECK(k.states.empty());
}
