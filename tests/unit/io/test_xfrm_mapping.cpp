// The kernel's NAT mapping reports (XFRM_MSG_MAPPING, XFRMNLGRP_MAPPING) for the XFRM
// data plane, RFC 3948 / RFC 7296 2.23: hand-built netlink messages as the kernel's
// xfrm_user.c build_mapping writes them go through the parser (every length checked,
// what cannot be used dropped and counted by reason) and then through ike-up's path:
// EngineDataplane -> the engine that owns the IKE SA (Engine::esp_arrived_from, as for
// the TUN data plane's ESP) -> ike_sa_moved -> the XFRM states moved (a stand-in
// kernel sees the requests). Only a peer behind a NAT is followed; an SA whose peer is
// behind none (our encapsulation forced) moves nothing.
#include "crypto/system_rng.hpp"
#include "fake_xfrm_kernel.hpp"
#include "io/ike_dataplane.hpp"
#include "io/ike_runner.hpp"
#include "io/xfrm_mapping.hpp"
#include "ip_literal.hpp"
#include "psk_peer.hpp"

#include <arpa/inet.h>
#include <catch2/catch.hpp>
#include <cstring>
#include <linux/netlink.h>
#include <linux/xfrm.h>
#include <map>
#include <netinet/in.h>

using namespace ikekit;
using namespace ikekit::test;
using namespace ikekit::io;

namespace {

struct MappingFields {
  IpAddress dst;
  uint32_t spi = 0;
  Endpoint old_source, new_source;
  uint16_t family = AF_INET;
  uint8_t proto = IPPROTO_ESP;
  uint16_t type = XFRM_MSG_MAPPING;
};

void put_address(xfrm_address_t& a, const IpAddress& addr) {
  auto b = addr.bytes();
  std::memcpy(&a, b.data(), b.size());
}

// One XFRM_MSG_MAPPING as the kernel multicasts it (nlmsghdr + xfrm_user_mapping).
std::vector<uint8_t> mapping_message(const MappingFields& f) {
  xfrm_user_mapping um{};
  put_address(um.id.daddr, f.dst);
  um.id.spi = htonl(f.spi);
  um.id.family = f.family;
  um.id.proto = f.proto;
  um.reqid = f.spi;
  put_address(um.old_saddr, f.old_source.address);
  put_address(um.new_saddr, f.new_source.address);
  um.old_sport = htons(f.old_source.port);
  um.new_sport = htons(f.new_source.port);
  nlmsghdr h{};
  h.nlmsg_len = uint32_t(NLMSG_LENGTH(sizeof um));
  h.nlmsg_type = f.type;
  std::vector<uint8_t> m(NLMSG_SPACE(sizeof um));
  std::memcpy(m.data(), &h, sizeof h);
  std::memcpy(m.data() + NLMSG_HDRLEN, &um, sizeof um);
  return m;
}

// RFC 4555: with MOBIKE the initiator moves the SA explicitly, so these run without it.
ike::PeerConfig mapping_test_peer(const char* name, const char* local, const char* remote) {
  ike::PeerConfig p = test::psk_peer(name, local, remote, "ikekit-xfrm-mapping-test-psk-0123");
  p.mobike = false;
  return p;
}

} // namespace

TEST_CASE("XFRM_MSG_MAPPING parses as the kernel writes it; what cannot be used is counted",
          "[xfrm][mapping]") {
  const MappingFields f{ip("192.0.2.1"), 0xc2000001, Endpoint{ip("198.51.100.2"), 4500},
                        Endpoint{ip("198.51.100.2"), 61001}};
  auto m = mapping_message(f);
  std::vector<XfrmMapping> out;
  XfrmMappingStats st;
  parse_xfrm_mappings(m, out, st);
  REQUIRE(out.size() == 1);
  CHECK(out[0].dst == ip("192.0.2.1"));
  CHECK(out[0].spi == 0xc2000001);
  CHECK(out[0].reqid == 0xc2000001);
  CHECK(out[0].old_source == f.old_source);
  CHECK(out[0].new_source == f.new_source);
  CHECK(st.received == 1);

  // Cut anywhere: nothing comes out, each cut counted once as truncated.
  for (size_t cut = 0; cut < m.size(); ++cut) {
    std::vector<XfrmMapping> o;
    XfrmMappingStats s;
    parse_xfrm_mappings(ByteView(m.data(), cut), o, s);
    CHECK(o.empty());
    CHECK(s.truncated == (cut == 0 ? 0u : 1u));
  }
  // A header that claims less than the body the kernel writes.
  auto shortlen = m;
  uint32_t len = NLMSG_HDRLEN + 8;
  std::memcpy(shortlen.data(), &len, 4);
  shortlen.resize(len); // the datagram ends where the header says
  out.clear();
  parse_xfrm_mappings(shortlen, out, st);
  CHECK(out.empty());
  CHECK(st.truncated == 1);

  MappingFields v6 = f;
  v6.dst = ip("2001:db8::1");
  v6.new_source = Endpoint{ip("2001:db8::9"), 40000};
  v6.old_source = Endpoint{ip("2001:db8::2"), 4500};
  v6.family = AF_INET6;
  MappingFields bad_family = f, not_esp = f, no_port = f, other = f;
  bad_family.family = 7;
  not_esp.proto = IPPROTO_AH;
  no_port.new_source.port = 0;
  other.type = XFRM_MSG_EXPIRE;
  // Several messages in one datagram: each judged on its own.
  std::vector<uint8_t> all;
  for (const auto* x : {&bad_family, &not_esp, &v6, &no_port, &other}) {
    auto b = mapping_message(*x);
    all.insert(all.end(), b.begin(), b.end());
  }
  out.clear();
  XfrmMappingStats s2;
  parse_xfrm_mappings(all, out, s2);
  REQUIRE(out.size() == 1);
  CHECK(out[0].dst == ip("2001:db8::1"));
  CHECK(out[0].new_source == v6.new_source);
  CHECK(s2.received == 1);
  CHECK(s2.bad_family == 1);
  CHECK(s2.not_esp == 1);
  CHECK(s2.bad_port == 1);
  CHECK(s2.other_type == 1);
  CHECK(s2.truncated == 0);

  // The same datagram from another socket (a port id other than the kernel's 0):
  // nothing is taken, one datagram counted, whatever it holds.
  out.clear();
  XfrmMappingStats s3;
  accept_xfrm_datagram(4242, all, out, s3);
  accept_xfrm_datagram(4242, m, out, s3);
  CHECK(out.empty());
  CHECK(s3.not_from_kernel == 2);
  CHECK(s3.received + s3.truncated + s3.bad_family + s3.other_type == 0);
  accept_xfrm_datagram(0, m, out, s3);
  CHECK(out.size() == 1);
  CHECK(s3.received == 1);
}

// ike-up's XFRM path with a real engine (the runner's engine 0) and the kernel stood in
// for: two IKE SAs come up against in-test initiators. "nat": its initiator forces
// encapsulation (a fake NAT_DETECTION_SOURCE_IP, as strongSwan's encap=yes), so to us
// it is behind a NAT; "plain": we force encapsulation ourselves, its peer is behind none.
TEST_CASE("XFRM_MSG_MAPPING through ike-up's path: the SA of a peer behind a NAT moves with "
          "its Child SA, one of a peer behind none stays, a truncated report is counted",
          "[xfrm][mapping]") {
  const IpAddress us = ip("127.66.0.1"), nat_peer = ip("127.66.0.2"), plain_peer = ip("127.66.0.3");
  ike::Config rc;
  rc.peers.push_back(mapping_test_peer("nat", "127.66.0.1", "127.66.0.2"));
  rc.peers.push_back(mapping_test_peer("plain", "127.66.0.1", "127.66.0.3"));
  rc.peers[0].local.port = rc.peers[1].local.port = 0; // sockets unused: any free port
  rc.peers[1].force_encap = true;
  std::vector<ike::Event> delivered; // what the runner's pump hands to ike-up
  crypto::SystemRng rng;
  IkeRunnerOptions ro;
  ro.config = rc;
  auto runner = IkeRunner::create(std::move(ro), rng,
                                  [&](const ike::Event& e, TimePoint) { delivered.push_back(e); });
  REQUIRE(runner); // loopback: 127.66.0.1 needs no configuration, ports over 1024 no root
  FakeKernel k;
  auto xfrm = dataplane::XfrmDataplane::open({.local = us, .udp_encap = false}, k.netlink());
  REQUIRE(xfrm);
  auto dp = EngineDataplane::over_xfrm(**runner, std::move(*xfrm));
  ike::Engine& responder = (*runner)->engine();

  // The handshakes, datagrams handed over in memory (the runner's sockets stay idle).
  TimePoint now = EventLoop::now();
  std::map<std::string, uint32_t> spi_in; // by connection: our inbound SPI
  std::map<std::string, ike::SaId> sa;
  std::vector<std::unique_ptr<ike::Engine>> initiators;
  for (const char* peer : {"127.66.0.2", "127.66.0.3"}) {
    ike::Config ic;
    ic.peers.push_back(mapping_test_peer("gw", peer, "127.66.0.1"));
    ic.peers[0].force_encap = std::string(peer) == "127.66.0.2";
    initiators.push_back(std::make_unique<ike::Engine>(ic, rng, now));
    REQUIRE(initiators.back()->initiate("gw", now));
  }
  std::vector<uint8_t> buf(65536);
  for (int round = 0; round < 20; ++round)
    for (auto& ini : initiators) {
      while (auto t = ini->poll_transmit(buf))
        responder.receive(
            ike::Datagram{t->remote, t->local, t->nat_t, ByteView(buf.data(), t->size)}, now);
      while (auto t = responder.poll_transmit(buf))
        for (auto& i : initiators)
          if (i->config().peers[0].local.address == t->remote.address)
            i->receive(ike::Datagram{t->remote, t->local, t->nat_t, ByteView(buf.data(), t->size)},
                       now);
      while (auto e = responder.poll_event()) {
        if (auto* up = std::get_if<ike::ChildSaUp>(&*e)) {
          spi_in[up->peer] = up->spi_in;
          sa[up->peer] = up->sa;
        }
        REQUIRE(dp->on_event(*e)); // child_sa_up: the pair goes into the kernel
      }
      while (ini->poll_event()) {
      }
    }
  REQUIRE(spi_in.size() == 2);
  auto info = [&](const std::string& conn) {
    for (const auto& s : responder.list_sas())
      if (s.sa == sa[conn]) return s;
    FAIL("no IKE SA for " << conn);
    return ike::IkeSaInfo{};
  };
  REQUIRE(info("nat").nat_remote);
  REQUIRE(info("nat").encap == ike::Encap::nat);
  REQUIRE_FALSE(info("plain").nat_remote);
  REQUIRE(info("plain").encap == ike::Encap::forced);
  const Endpoint nat_before = info("nat").remote, plain_before = info("plain").remote;
  REQUIRE(nat_before == Endpoint{nat_peer, 4500});

  // The NAT in front of "nat" gave it a new port and address: the kernel reports it.
  const Endpoint mapped{ip("127.66.0.9"), 40001};
  k.log.clear();
  dp->on_xfrm_mappings(mapping_message({us, spi_in["nat"], nat_before, mapped}), now);
  REQUIRE(delivered.size() == 1);
  auto* moved = std::get_if<ike::IkeSaMoved>(&delivered[0]);
  REQUIRE(moved);
  CHECK(moved->sa == sa["nat"]);
  CHECK(moved->reason == ike::MoveReason::nat_mapping);
  CHECK(moved->old_remote == nat_before);
  CHECK(moved->remote == mapped);
  CHECK(moved->udp_encap);
  CHECK(info("nat").remote == mapped);
  REQUIRE(dp->on_event(delivered[0])); // what ike-up does with it: the states move
  REQUIRE(k.count(XFRM_MSG_NEWSA) == 2);
  for (const Msg& m : k.log)
    if (m.type == XFRM_MSG_NEWSA)
      CHECK(m.encap == (m.spi == spi_in["nat"] ? "40001>4500" : "4500>40001"));
  bool out_moved = false;
  for (const Msg& m : k.log)
    out_moved |= m.type == XFRM_MSG_NEWSA && m.outer == "127.66.0.1>127.66.0.9";
  CHECK(out_moved);
  CHECK(responder.stats().peer_moves == 1);

  // "plain": its peer is behind no NAT (only our encapsulation is forced): nothing moves.
  delivered.clear();
  k.log.clear();
  dp->on_xfrm_mappings(
      mapping_message({us, spi_in["plain"], plain_before, Endpoint{plain_peer, 40002}}), now);
  CHECK(delivered.empty());
  CHECK(k.log.empty());
  CHECK(info("plain").remote == plain_before);

  // A truncated report and one for an SPI we never installed: counted, nothing moves.
  auto cut = mapping_message({us, spi_in["nat"], mapped, Endpoint{ip("127.66.0.10"), 1}});
  cut.resize(NLMSG_HDRLEN + 20);
  dp->on_xfrm_mappings(cut, now);
  dp->on_xfrm_mappings(mapping_message({us, 0xdeadbeef, nat_before, mapped}), now);
  CHECK(delivered.empty());
  CHECK(k.log.empty());
  CHECK(info("nat").remote == mapped);
  auto st = dp->xfrm_mapping_stats();
  REQUIRE(st);
  CHECK(st->received == 3);
  CHECK(st->truncated == 1);
  CHECK(st->unknown_spi == 1);
  CHECK(responder.stats().peer_moves == 1);
}
