// Privileged data-plane selector tests (issue 11), run by netns-run.sh inside a fresh
// network namespace:
//   io_netns_dataplane_test tun-owners   the TUN data plane's outbound selection: an
//        SA of another IKE SA with overlapping selectors is refused and counted and
//        never takes the traffic; a rekey takes over; longest prefix, then ports
//   io_netns_dataplane_test tun-inbound  RFC 4301 5.2: decrypted packets outside their
//        SA's selectors (source, destination, protocol, ports, fragments) are not
//        written to the TUN device, and are counted by reason
//   io_netns_dataplane_test tun-paths    issue 14: on ike-up's shared sockets, each pair
//        sends from the socket of its own local address: one IKE SA's move (MOBIKE)
//        leaves another's ESP on its own address (source checked at the peer, batches
//        holding both split by socket), ESP of both opened at the peer and by the data
//        plane; a socket its owner closed stays in use until its last pair leaves it
//   io_netns_dataplane_test xfrm-rekey   XFRM rekey and removal with policies the
//        kernel really holds (`ip xfrm policy` after every message): the reqid stays,
//        no moment without the policies; states the kernel refuses (no ESP) are
//        stood in for; with the kernel alone, the refusal names CONFIG_INET_ESP.
//        Then the IKE SA moves (RFC 4555 3.5): the policies' templates name the new
//        tunnel endpoints, the policies held throughout; with the kernel alone the
//        move's first state is refused naming CONFIG_INET_ESP, the templates unchanged
//   io_netns_dataplane_test xfrm-mapping the subscription to the kernel's NAT mapping
//        reports (XFRMNLGRP_MAPPING) is joined and delivers; a report another socket
//        sends to the group is dropped (only the kernel's count)
// Exit 0 pass, 1 fail, 77 skip (with "SKIP: <reason>").
#include "base/hex.hpp"
#include "esp/sa.hpp"
#include "io/dataplane/tun_dataplane.hpp"
#include "io/dataplane/xfrm_dataplane.hpp"
#include "io/xfrm.hpp"
#include "io/xfrm_mapping.hpp"
#include "netns_util.hpp"
#include "test_keys.hpp"

#include <arpa/inet.h>
#include <cerrno>
#include <functional>
#include <linux/netlink.h>
#include <linux/xfrm.h>
#include <optional>
#include <set>
#include <sstream>
#include <sys/socket.h>
#include <unistd.h>
#include <vector>

using namespace ikekit;
using namespace ikekit::io;
using namespace ikekit::io::dataplane;
using namespace netns_test;

namespace {

esp::TrafficSelector ts(const char* prefix, uint8_t proto = 0, uint16_t lo = 0,
                        uint16_t hi = 65535) {
  return esp::TrafficSelector{pfx(prefix), proto, lo, hi};
}

// A pair between 127.0.0.1:local_port and 127.0.0.1:remote_port (ESP in UDP).
ChildSaSpec pair(uint32_t spi_in, uint32_t spi_out, uint64_t ike_sa, uint16_t local_port) {
  ChildSaSpec s;
  s.in = gcm_keys(spi_in);
  s.out = gcm_keys(spi_out);
  s.local = s.remote = ip("127.0.0.1");
  s.local_port = local_port;
  s.remote_port = uint16_t(local_port + 1);
  s.ike_sa = ike_sa;
  return s;
}

std::unique_ptr<TunDataplane> tun_dataplane(const char* name, std::vector<Prefix> addresses,
                                            uint16_t port, int& rc) {
  TunDataplaneOptions o;
  o.tun.name = name;
  o.tun_config.addresses = std::move(addresses);
  o.tun_config.routes = {pfx("10.82.0.0/16")};
  o.local = ip("127.0.0.1");
  o.port = port;
  auto dp = TunDataplane::create(o);
  if (!dp) {
    std::printf("%s: %s\n", dp.error().code == Errc::environment ? "SKIP" : "FAIL",
                dp.error().message.c_str());
    rc = dp.error().code == Errc::environment ? 77 : 1;
    return nullptr;
  }
  return std::move(*dp);
}

// Waits until the sending thread published `pred` (the counters move per batch).
template <typename Pred> bool eventually(TunDataplane& dp, Pred pred) {
  for (int i = 0; i < 50; ++i) {
    if (pred(dp.stats())) return true;
    ::usleep(20000);
  }
  return false;
}

// The TUN data plane ikow0 with its sockets: an inner sender on 10.81.0.1 and the
// peer's ESP socket where the sealed packets go.
struct OwnersRig {
  std::unique_ptr<TunDataplane> dp;
  int esp_peer = -1, inner = -1;

  // The SPI of the ESP packet a datagram to dst:port leaves in (0: none left).
  uint32_t spi_for(const char* dst, uint16_t port = 9) {
    const uint8_t payload[] = {'s', 'e', 'l'};
    send_to(inner, payload, dst, port);
    uint8_t buf[256];
    if (!wait_readable(esp_peer, 500)) return 0;
    ssize_t r = ::recv(esp_peer, buf, sizeof buf, 0);
    return r >= 8 ? load_be32(buf) : 0;
  }
  ChildSaSpec spec(uint32_t n, uint64_t ike_sa, esp::TrafficSelector remote) {
    ChildSaSpec s = pair(0xc2000000 + n, 0xc1000000 + n, ike_sa, 4610);
    s.local_ts = {ts("10.81.0.0/24")};
    s.remote_ts = {remote};
    return s;
  }
};

// IKE SA 2 claiming IKE SA 1's selectors (or everything) is refused and counted, and
// the traffic stays on IKE SA 1's pair; disjoint selectors are fine.
void owners_refuse_overlap(OwnersRig& r) {
  auto rb = r.dp->install_child_sa(r.spec(2, 2, ts("10.82.0.0/24")));
  check(!rb && rb.error().code == Errc::bad_value && rb.error().field == "remote_ts" &&
            contains(rb.error().message, "c2000001"),
        rb ? "IKE SA 2 with the same selectors was installed"
           : "IKE SA 2 with the same selectors refused: " + rb.error().message);
  check(r.dp->stats().sa_refused == 1, "sa_refused 1");
  uint32_t spi = r.spi_for("10.82.0.5");
  check(spi == 0xc1000001, "10.82.0.5 still goes out on c1000001 (" + to_hex_u32(spi) + ")");
  // The probe of issue 11: 0.0.0.0/1 and 128.0.0.0/1 claim everything.
  ChildSaSpec all = r.spec(2, 2, ts("0.0.0.0/1"));
  all.local_ts = {ts("0.0.0.0/0")};
  all.remote_ts.push_back(ts("128.0.0.0/1"));
  check(!r.dp->install_child_sa(all), "IKE SA 2 claiming 0.0.0.0/1 + 128.0.0.0/1 refused");
  check(r.dp->stats().sa_refused == 2, "sa_refused 2");
  check(!r.dp->remove_child_sa(0xc2000002), "nothing of the refused pair is installed");
  check(bool(r.dp->install_child_sa(r.spec(3, 2, ts("10.82.1.0/24")))),
        "IKE SA 2: 10.81.0.0/24 === 10.82.1.0/24 installed");
  check(r.spi_for("10.82.1.5") == 0xc1000003, "10.82.1.5 goes out on c1000003");
  check(r.spi_for("10.82.0.5") == 0xc1000001, "10.82.0.5 still on c1000001");
}

// RFC 7296 2.8: a rekey of IKE SA 1's pair takes over at once, the old pair's removal
// changes nothing; ports select (RFC 4301 4.4.1.1); no selector: no_sa.
void owners_rekey_and_ports(OwnersRig& r) {
  ChildSaSpec a2 = r.spec(4, 1, ts("10.82.0.0/24"));
  a2.replaces_spi_in = 0xc2000001;
  check(bool(r.dp->install_child_sa(a2)), "rekey of c2000001 installed (c2000004)");
  check(r.spi_for("10.82.0.5") == 0xc1000004, "10.82.0.5 goes out on the new c1000004");
  check(bool(r.dp->remove_child_sa(0xc2000001)), "old pair removed");
  check(r.spi_for("10.82.0.5") == 0xc1000004, "10.82.0.5 still on c1000004");
  check(bool(r.dp->install_child_sa(r.spec(5, 1, ts("10.82.0.0/24", 17, 53, 53)))),
        "IKE SA 1: ... === 10.82.0.0/24[17/53] installed");
  check(r.spi_for("10.82.0.5", 53) == 0xc1000005, "UDP to port 53 goes out on c1000005");
  check(r.spi_for("10.82.0.5", 54) == 0xc1000004, "UDP to port 54 on c1000004");
  uint64_t no_sa = r.dp->stats().out.no_sa;
  check(r.spi_for("10.82.7.5") == 0, "10.82.7.5 (no selector) is not sent");
  check(eventually(*r.dp, [&](const DataplaneStats& s) { return s.out.no_sa == no_sa + 1; }),
        "counted no_sa");
}

int test_tun_owners() {
  int rc = 0;
  OwnersRig r;
  r.dp = tun_dataplane("ikow0", {pfx("10.81.0.1/24")}, 4610, rc);
  if (!r.dp) return rc;
  r.esp_peer = plain_udp("127.0.0.1", 4611);
  r.inner = plain_udp("10.81.0.1", 0);
  check(r.esp_peer >= 0 && r.inner >= 0, "sockets");
  check(bool(r.dp->install_child_sa(r.spec(1, 1, ts("10.82.0.0/24")))),
        "IKE SA 1: 10.81.0.0/24 === 10.82.0.0/24 installed");
  check(bool(r.dp->start()), "started");
  check(r.spi_for("10.82.0.5") == 0xc1000001, "10.82.0.5 goes out on c1000001");
  owners_refuse_overlap(r);
  owners_rekey_and_ports(r);
  r.dp->stop();
  ::close(r.inner);
  ::close(r.esp_peer);
  return failures ? 1 : 0;
}

int test_tun_inbound() {
  int rc = 0;
  auto dp = tun_dataplane("ikin0", {pfx("10.81.0.1/24"), pfx("10.85.0.1/24")}, 4620, rc);
  if (!dp) return rc;
  // The kernel must not drop what the data plane lets through on its own (reverse path).
  run("sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.ikin0.rp_filter=0");
  ChildSaSpec s = pair(0xc2000011, 0xc1000011, 1, 4620);
  s.local_ts = {ts("10.81.0.0/24", 17, 7000, 7000)};
  s.remote_ts = {ts("10.82.0.0/24")};
  check(bool(dp->install_child_sa(s)), "SA 10.81.0.0/24[17/7000] === 10.82.0.0/24 installed");
  check(bool(dp->start()), "started");
  int allowed = plain_udp("10.81.0.1", 7000);
  int other_port = plain_udp("10.81.0.1", 7001);
  int other_dst = plain_udp("10.85.0.1", 7000);
  int peer = plain_udp("127.0.0.1", 0);
  check(allowed >= 0 && other_port >= 0 && other_dst >= 0 && peer >= 0, "sockets");

  // The peer's side of the inbound SA: seals inner packets with its keys.
  auto sealer = esp::EspSaOut::create(sa_params(s.in, 0), nullptr);
  check(bool(sealer), "peer's outbound SA");
  auto inject = [&](const Bytes& inner) {
    std::vector<uint8_t> buf(2048);
    std::copy(inner.begin(), inner.end(), buf.begin() + 64);
    auto sealed = sealer->seal_in_place(buf, 64, inner.size(), esp::kNextHeaderIpv4);
    return sealed && send_to(peer, sealed.packet, "127.0.0.1", 4620);
  };
  auto received = [](int fd) {
    uint8_t buf[64];
    if (!wait_readable(fd, 500)) return false;
    return ::recv(fd, buf, sizeof buf, 0) > 0;
  };
  const uint8_t hi[] = {'h', 'i'};
  auto udp = [&](const char* src, const char* dst, uint16_t dport, uint8_t proto = 17,
                 uint16_t frag = 0) { return ipv4_packet(src, dst, proto, 5000, dport, hi, frag); };

  check(inject(udp("10.82.0.5", "10.81.0.1", 7000)) && received(allowed),
        "10.82.0.5 -> 10.81.0.1:7000 delivered");
  check(eventually(*dp, [](const DataplaneStats& st) { return st.in.packets == 1; }),
        "in.packets 1");
  check(inject(udp("10.99.0.5", "10.81.0.1", 7000)) && !received(allowed),
        "source 10.99.0.5 outside 10.82.0.0/24: not delivered");
  check(eventually(*dp, [](const DataplaneStats& st) { return st.in.selector_src == 1; }),
        "counted selector_src");
  check(inject(udp("10.82.0.5", "10.85.0.1", 7000)) && !received(other_dst),
        "destination 10.85.0.1 outside 10.81.0.0/24: not delivered");
  check(eventually(*dp, [](const DataplaneStats& st) { return st.in.selector_dst == 1; }),
        "counted selector_dst");
  check(inject(udp("10.82.0.5", "10.81.0.1", 7001)) && !received(other_port),
        "port 7001 outside [17/7000]: not delivered");
  check(eventually(*dp, [](const DataplaneStats& st) { return st.in.selector_port == 1; }),
        "counted selector_port");
  check(inject(udp("10.82.0.5", "10.81.0.1", 7000, 6)),
        "TCP to 10.81.0.1:7000 (protocol outside [17])");
  check(eventually(*dp, [](const DataplaneStats& st) { return st.in.selector_protocol == 1; }),
        "counted selector_protocol");
  // RFC 4301 7: a non-initial fragment has no ports; an SA with port selectors refuses it.
  check(inject(udp("10.82.0.5", "10.81.0.1", 7000, 17, 100)), "non-initial UDP fragment");
  check(eventually(*dp, [](const DataplaneStats& st) { return st.in.selector_port == 2; }),
        "counted selector_port (OPAQUE ports)");
  check(inject(udp("10.82.0.6", "10.81.0.1", 7000)) && received(allowed),
        "10.82.0.6 -> 10.81.0.1:7000 still delivered");
  check(eventually(*dp, [](const DataplaneStats& st) { return st.in.packets == 2; }),
        "in.packets 2: the dropped ones are not counted delivered");
  dp->stop();
  for (int fd : {allowed, other_port, other_dst, peer})
    ::close(fd);
  return failures ? 1 : 0;
}

// ---------------------------------------------------------------- paths (issue 14)

// One IKE SA of the tun-paths rig, as its peer sees it: the peer's ESP socket on
// 127.0.0.1, the pair the data plane holds, an inner address its selectors route, and
// the peer's halves of the SAs (opens what the data plane sends, seals what it gets).
struct PathPeer {
  int fd = -1;
  ChildSaSpec spec;
  const char* inner_dst = "";
  const char* inner_src = "";
  std::optional<esp::EspSaIn> opener;  // spec.out
  std::optional<esp::EspSaOut> sealer; // spec.in
};

PathPeer path_peer(uint32_t n, const char* local, uint16_t port, const char* remote_ts,
                   const char* inner_dst, const char* inner_src) {
  PathPeer p;
  p.fd = plain_udp("127.0.0.1", port);
  p.spec = pair(0xc2000030 + n, 0xc1000030 + n, n, 4500);
  p.spec.local = ip(local);
  p.spec.remote_port = port;
  p.spec.local_ts = {ts("10.81.0.0/24")};
  p.spec.remote_ts = {ts(remote_ts)};
  p.inner_dst = inner_dst;
  p.inner_src = inner_src;
  if (auto in = esp::EspSaIn::create(sa_params(p.spec.out, 64))) p.opener.emplace(std::move(*in));
  if (auto out = esp::EspSaOut::create(sa_params(p.spec.in, 0), nullptr))
    p.sealer.emplace(std::move(*out));
  return p;
}

// `count` datagrams to each peer's inner destination, interleaved (so a batch the data
// plane reads holds both IKE SAs' packets).
void path_burst(int inner, const std::vector<PathPeer*>& peers, int count) {
  const uint8_t payload[] = {'p', 'a', 't', 'h'};
  for (int i = 0; i < count; ++i)
    for (PathPeer* p : peers)
      send_to(inner, payload, p->inner_dst, 9);
}

// Reads `count` ESP datagrams at the peer: each from `src`:port, on the pair's outbound
// SPI, and opened by the peer's SA (what the data plane sealed arrives intact).
void path_expect(PathPeer& p, const char* src, uint16_t port, int count, const std::string& what) {
  int from_src = 0, opened = 0;
  for (int i = 0; i < count && wait_readable(p.fd, 500); ++i) {
    uint8_t buf[2048];
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    ssize_t r = ::recvfrom(p.fd, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&ss), &len);
    if (r < 8) continue;
    auto from = from_sockaddr(ss);
    if (from && from->address == ip(src) && from->port == port) ++from_src;
    if (load_be32(buf) == p.spec.out.spi && p.opener &&
        p.opener->open_in_place(MutBytes(buf, size_t(r))))
      ++opened;
  }
  check(from_src == count && opened == count, what + ": " + std::to_string(from_src) + "/" +
                                                  std::to_string(count) + " from " + src + ", " +
                                                  std::to_string(opened) + " opened");
}

// The peer sends one ESP packet (inner: its inner_src -> 10.81.0.1:7000) to the data
// plane's socket `to`; the test reads `to` as ike-up's loop would and hands the ESP to
// the data plane, which opens it and writes the inner packet to the TUN device.
bool path_inject(TunDataplane& dp, PathPeer& p, UdpSocket& to) {
  const uint8_t hi[] = {'h', 'i'};
  Bytes inner = ipv4_packet(p.inner_src, "10.81.0.1", 17, 5000, 7000, hi);
  std::vector<uint8_t> buf(2048);
  std::copy(inner.begin(), inner.end(), buf.begin() + 64);
  auto sealed = p.sealer->seal_in_place(buf, 64, inner.size(), esp::kNextHeaderIpv4);
  sockaddr_storage ss;
  socklen_t len = to_sockaddr(to.local(), ss);
  if (!sealed || ::sendto(p.fd, sealed.packet.data(), sealed.packet.size(), 0,
                          reinterpret_cast<sockaddr*>(&ss), len) < 0)
    return false;
  if (!wait_readable(to.fd(), 500)) return false;
  std::vector<uint8_t> rx(64 + 2048);
  RecvSlot slot;
  slot.buffer = MutBytes(rx.data() + 64, 2048);
  auto n = to.recv_batch({&slot, 1});
  if (!n || *n != 1) return false;
  dp.handle_esp({&slot, 1}, 64);
  return true;
}

// The TUN data plane on ike-up's sockets, one per local address: A 127.0.0.1 (the
// shared one), B 127.0.0.2, C 127.0.0.3, all on `port`.
struct PathsRig {
  std::vector<UdpSocket> sockets;
  std::unique_ptr<TunDataplane> dp;
  int inner = -1, listener = -1;
};

int paths_rig(PathsRig& r, const char* dev, uint16_t port, bool offload) {
  for (const char* a : {"127.0.0.1", "127.0.0.2", "127.0.0.3"}) {
    auto s = UdpSocket::open({.local = {ip(a), port}, .nat_t = true});
    if (!s) return std::printf("FAIL: socket %s: %s\n", a, s.error().message.c_str()), 1;
    r.sockets.push_back(std::move(*s));
  }
  TunDataplaneOptions o;
  o.tun.name = dev;
  o.tun_config.addresses = {pfx("10.81.0.1/24")};
  o.tun_config.routes = {pfx("10.82.0.0/16")};
  o.local = ip("127.0.0.1");
  o.shared_udp_fd = r.sockets[0].fd();
  o.offload = offload;
  auto dp = TunDataplane::create(o);
  if (!dp) {
    std::printf("%s: %s\n", dp.error().code == Errc::environment ? "SKIP" : "FAIL",
                dp.error().message.c_str());
    return dp.error().code == Errc::environment ? 77 : 1;
  }
  r.dp = std::move(*dp);
  run(std::string("sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.") + dev +
      ".rp_filter=0");
  r.inner = plain_udp("10.81.0.1", 0);
  r.listener = plain_udp("10.81.0.1", 7000);
  return r.inner >= 0 && r.listener >= 0 ? 0 : 1;
}

bool path_received(int fd) {
  uint8_t buf[64];
  return wait_readable(fd, 500) && ::recv(fd, buf, sizeof buf, 0) > 0;
}

// After IKE SA 1's move: ESP of both IKE SAs arrives on the socket of its own address
// and is opened; ike-up closing its descriptor of C changes nothing for the pair still
// on C, and the last pair leaving C lets the socket go (the address:port binds again).
void paths_after_move(PathsRig& r, PathPeer& p1, PathPeer& p2, uint16_t port) {
  check(path_inject(*r.dp, p1, r.sockets[2]) && path_received(r.listener),
        "IKE SA 1's ESP to 127.0.0.3 opened and delivered");
  check(path_inject(*r.dp, p2, r.sockets[1]) && path_received(r.listener),
        "IKE SA 2's ESP to 127.0.0.2 opened and delivered");
  check(eventually(*r.dp, [](const DataplaneStats& s) { return s.in.packets == 2; }),
        "in.packets 2");
  check(r.dp->take_peer_changes().empty(), "no peer change (both came from their peer)");
  r.sockets.pop_back(); // ike-up closes its descriptor of C
  path_burst(r.inner, {&p1}, 4);
  path_expect(p1, "127.0.0.3", port, 4, "ike-up's descriptor of C closed: IKE SA 1's ESP");
  check(bool(r.dp->remove_child_sa(p1.spec.in.spi)), "IKE SA 1's pair removed");
  check(r.dp->shared_sockets() == 2, "C released (A and B still in use)");
  int rebound = plain_udp("127.0.0.3", port);
  check(rebound >= 0, "127.0.0.3:" + std::to_string(port) + " can be bound again");
  if (rebound >= 0) ::close(rebound);
}

// Two IKE SAs on two local addresses share the data plane (issue 14): IKE SA 1 on
// 127.0.0.1 (socket A), IKE SA 2 on 127.0.0.2 (B). IKE SA 1 moves to 127.0.0.3 (C, as
// MOBIKE does): its ESP leaves from C, IKE SA 2's still from B, also in batches that
// hold both (queued while the sending thread is stopped).
int paths_round(const char* dev, uint16_t port, bool offload) {
  PathsRig r;
  if (int rc = paths_rig(r, dev, port, offload); rc) return rc;
  const std::string mode = offload ? " (offload)" : " (no offload)";
  PathPeer p1 =
      path_peer(1, "127.0.0.1", uint16_t(port + 1), "10.82.1.0/24", "10.82.1.5", "10.82.1.6");
  PathPeer p2 =
      path_peer(2, "127.0.0.2", uint16_t(port + 2), "10.82.2.0/24", "10.82.2.5", "10.82.2.6");
  check(p1.fd >= 0 && p2.fd >= 0 && p1.opener && p1.sealer && p2.opener && p2.sealer,
        "peer sockets and SAs");
  auto i1 = r.dp->install_child_sa(p1.spec, nullptr, r.sockets[0].fd());
  check(bool(i1), "IKE SA 1's pair on 127.0.0.1" + (i1 ? "" : ": " + i1.error().message));
  auto i2 = r.dp->install_child_sa(p2.spec, nullptr, r.sockets[1].fd());
  check(bool(i2), "IKE SA 2's pair on 127.0.0.2" + (i2 ? "" : ": " + i2.error().message));
  check(r.dp->shared_sockets() == 2, "2 sockets in use");
  path_burst(r.inner, {&p1, &p2}, 8); // queued: the first batch holds both
  check(bool(r.dp->start()), "started" + mode);
  path_expect(p1, "127.0.0.1", port, 8, "IKE SA 1's ESP" + mode);
  path_expect(p2, "127.0.0.2", port, 8, "IKE SA 2's ESP" + mode);

  TunDataplane::PairPath to{ip("127.0.0.3"), ip("127.0.0.1"), uint16_t(port + 1), true,
                            r.sockets[2].fd()};
  const uint32_t spis[] = {p1.spec.in.spi};
  check(bool(r.dp->move_pairs(spis, to)), "IKE SA 1 moved to 127.0.0.3");
  check(r.dp->shared_sockets() == 3, "3 sockets in use (A stays: the shared one)");
  path_burst(r.inner, {&p1, &p2}, 8);
  path_expect(p1, "127.0.0.3", port, 8, "after the move, IKE SA 1's ESP");
  path_expect(p2, "127.0.0.2", port, 8, "after the move, IKE SA 2's ESP");
  r.dp->stop();
  path_burst(r.inner, {&p1, &p2}, 8);
  check(bool(r.dp->start()), "restarted with both IKE SAs' packets queued");
  path_expect(p1, "127.0.0.3", port, 8, "one batch for both: IKE SA 1's ESP");
  path_expect(p2, "127.0.0.2", port, 8, "one batch for both: IKE SA 2's ESP");
  paths_after_move(r, p1, p2, port);
  r.dp->stop();
  for (int fd : {p1.fd, p2.fd, r.inner, r.listener})
    ::close(fd);
  return 0;
}

int test_tun_paths() {
  if (int rc = paths_round("ikpa0", 4640, true); rc) return rc;
  if (int rc = paths_round("ikpa1", 4650, false); rc) return rc;
  return failures ? 1 : 0;
}

// ---------------------------------------------------------------- XFRM rekey

// One policy as `ip xfrm policy list` shows it: its first line, direction, reqid.
struct ListedPolicy {
  std::string head; // "src 10.1.0.0/16 dst 10.2.0.0/16 proto tcp dport 80"
  std::string dir;
  std::string reqid;
  std::string tmpl; // "src>dst" of its template
};

std::vector<ListedPolicy> list_policies() {
  std::vector<ListedPolicy> out;
  std::istringstream in(run("ip xfrm policy list"));
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream words(line);
    std::string w;
    if (line.rfind("src ", 0) == 0) {
      while (!line.empty() && line.back() == ' ')
        line.pop_back();
      out.push_back(ListedPolicy{line, "", ""});
      continue;
    }
    while (words >> w && !out.empty()) {
      std::string v;
      if (w == "dir" && words >> v) out.back().dir = v;
      if (w == "reqid" && words >> v) out.back().reqid = v;
      std::string src, dst;
      if (w == "tmpl" && words >> w >> src >> w >> dst) out.back().tmpl = src + ">" + dst;
    }
  }
  return out;
}

// The kernel for policies; states too where the kernel has ESP. Where it refuses an
// ESP state for want of ESP or the algorithm (EPROTONOSUPPORT, ENOSYS, ENOENT: what
// XfrmNetlink reports as CONFIG_INET_ESP missing), the state is stood in for: the
// request is taken and its later DELSA answered here (stand_in false: not).
struct HybridKernel {
  NetlinkSocket nl;
  std::set<std::pair<std::string, uint32_t>> simulated; // (dst, SPI) the kernel refused
  size_t stood_in = 0;
  bool stand_in = true;
  std::function<void(uint16_t type)> after_each;

  Result<NetlinkAck> handle(ByteView m) {
    nlmsghdr h;
    std::memcpy(&h, m.data(), sizeof h);
    auto ack = answer(h.nlmsg_type, m);
    if (after_each) after_each(h.nlmsg_type);
    return ack;
  }

  static std::string text(const xfrm_address_t& a, uint16_t family) {
    auto* b = reinterpret_cast<const uint8_t*>(&a);
    return (family == AF_INET ? IpAddress::v4(ByteView(b, 4)) : IpAddress::v6(ByteView(b, 16)))
        .to_string();
  }

  Result<NetlinkAck> answer(uint16_t type, ByteView m) {
    if (type == XFRM_MSG_DELSA || type == XFRM_MSG_GETSA) {
      xfrm_usersa_id x;
      std::memcpy(&x, m.data() + NLMSG_HDRLEN, sizeof x);
      auto key = std::make_pair(text(x.daddr, x.family), ntohl(x.spi));
      if (simulated.count(key)) {
        if (type == XFRM_MSG_GETSA) return NetlinkAck{ESRCH, ""};
        simulated.erase(key);
        return NetlinkAck{};
      }
    }
    auto ack = nl.request(m);
    if (ack && type == XFRM_MSG_NEWSA && stand_in &&
        (ack->error == EPROTONOSUPPORT || ack->error == ENOSYS || ack->error == ENOENT)) {
      xfrm_usersa_info x;
      std::memcpy(&x, m.data() + NLMSG_HDRLEN, sizeof x);
      simulated.insert({text(x.id.daddr, x.family), ntohl(x.id.spi)});
      ++stood_in;
      ack->error = 0;
    }
    return ack;
  }
};

// A pair 192.0.2.1 <-> 192.0.2.2 protecting 10.1.0.0/16 === 10.2.0.0/16 and
// 10.3.0.0/16[tcp/80] (tunnel mode: out, in, fwd policies for each: six).
ChildSaSpec xfrm_spec(uint32_t spi_in, uint32_t spi_out, uint64_t ike_sa) {
  ChildSaSpec s;
  s.in = gcm_keys(spi_in);
  s.out = gcm_keys(spi_out);
  s.local = ip("192.0.2.1");
  s.remote = ip("192.0.2.2");
  s.udp_encap = false;
  s.local_ts = {ts("10.1.0.0/16")};
  s.remote_ts = {ts("10.2.0.0/16"), ts("10.3.0.0/16", 6, 80, 80)};
  s.ike_sa = ike_sa;
  return s;
}

// Whether the kernel holds exactly the six policies, each naming `reqid`.
bool six_policies_with(const std::string& reqid) {
  auto ps = list_policies();
  size_t right = 0;
  for (const auto& p : ps)
    right += p.reqid == reqid;
  return ps.size() == 6 && right == 6;
}

// The kernel alone: without ESP the install fails naming CONFIG_INET_ESP and leaves
// nothing behind; with ESP it works.
void xfrm_kernel_alone(const XfrmDataplaneOptions& o, const ChildSaSpec& spec) {
  auto direct = XfrmDataplane::open(o);
  check(bool(direct), "XFRM data plane on the kernel alone");
  if (!direct) return;
  auto r = direct->install_child_sa(spec);
  if (r) {
    std::printf("the kernel has ESP: states installed for real\n");
    check(bool(direct->remove_all()), "removed");
    return;
  }
  check(r.error().code == Errc::environment && contains(r.error().message, "CONFIG_INET_ESP"),
        "refused: " + r.error().message);
  check(list_policies().empty() && run("ip xfrm state list").empty(), "nothing left behind");
}

// Whether each of the six policies' templates is `out` (out) or its reverse (in, fwd).
bool templates_are(const std::string& out) {
  std::string in = out.substr(out.find('>') + 1) + ">" + out.substr(0, out.find('>'));
  size_t right = 0;
  auto ps = list_policies();
  for (const auto& p : ps)
    right += p.tmpl == (p.dir == "out" ? out : in);
  return ps.size() == 6 && right == 6;
}

// RFC 4555 3.5: the IKE SA of the installed pair moves to 198.51.100.1 -> 203.0.113.2.
void xfrm_move(XfrmDataplane& dp, HybridKernel& kernel, const std::string& reqid,
               const std::function<void(bool)>& watch, const size_t& messages, const size_t& gaps) {
  check(templates_are("192.0.2.1>192.0.2.2"), "before the move: templates 192.0.2.1 <-> .2");
  watch(true);
  auto mv = dp.move_ike_sa(1, {ip("198.51.100.1"), ip("203.0.113.2"), 4500, 4500, false});
  check(bool(mv), mv ? "moved to 198.51.100.1 -> 203.0.113.2" : mv.error().message);
  check(six_policies_with(reqid), "after the move: the 6 policies, reqid " + reqid);
  bool moved = templates_are("198.51.100.1>203.0.113.2");
  if (!moved) std::printf("%s", run("ip xfrm policy list").c_str());
  check(moved, "after the move: every template names 198.51.100.1 <-> 203.0.113.2");
  check(messages > 0 && gaps == 0, "after each of the " + std::to_string(messages) +
                                       " messages of the move all 6 policies held");
  watch(false);
  // The kernel alone for the states: a kernel without ESP refuses the first new state
  // with a clear error, and the pair stays where it was.
  kernel.stand_in = false;
  auto refused = dp.move_ike_sa(1, {ip("198.51.100.7"), ip("203.0.113.2"), 4500, 4500, false});
  kernel.stand_in = true;
  if (refused) {
    std::printf("the kernel has ESP: the move's states installed for real\n");
    return;
  }
  check(refused.error().code == Errc::environment &&
            contains(refused.error().message, "CONFIG_INET_ESP"),
        "move refused by the kernel: " + refused.error().message);
  check(templates_are("198.51.100.1>203.0.113.2"), "after the refusal: templates unchanged");
}

int test_xfrm_rekey() {
  auto sock = NetlinkSocket::open(NETLINK_XFRM, "xfrm");
  if (!sock) {
    std::printf("SKIP: %s\n", sock.error().message.c_str());
    return 77;
  }
  HybridKernel kernel{std::move(*sock), {}, 0, true, {}};
  XfrmDataplaneOptions o{.local = ip("192.0.2.1"), .udp_encap = false};
  auto dp = XfrmDataplane::open(
      o, XfrmNetlink::with_transport([&](ByteView m) { return kernel.handle(m); }));
  check(bool(dp), "XFRM data plane over the namespace's kernel");
  if (!dp) return 1;

  const std::string reqid = std::to_string(0xc2000001u);
  auto policies_ok = [&](const std::string& when) {
    bool ok = six_policies_with(reqid);
    if (!ok) std::printf("%s", run("ip xfrm policy list").c_str());
    check(ok, when + ": the 6 policies, all with reqid " + reqid);
  };
  bool watching = false;
  size_t gaps = 0, messages = 0;
  kernel.after_each = [&](uint16_t) {
    if (!watching) return;
    ++messages;
    gaps += !six_policies_with(reqid);
  };

  auto a = xfrm_spec(0xc2000001, 0xc1000001, 1);
  auto ra = dp->install_child_sa(a);
  check(bool(ra), ra ? "pair c2000001 installed" : ra.error().message);
  policies_ok("after install");
  auto ps = list_policies();
  bool ports = false;
  for (const auto& p : ps)
    ports |=
        (p.dir == "out" && contains(p.head, "dst 10.3.0.0/16 proto tcp dport 80")) ||
        (p.dir == "in" && contains(p.head, "src 10.3.0.0/16 dst 10.1.0.0/16 proto tcp sport 80"));
  check(ports, "the 10.3.0.0/16[tcp/80] pair's policies carry protocol and port");

  // Another IKE SA with overlapping selectors: refused before the kernel sees it.
  auto other = xfrm_spec(0xc2000009, 0xc1000009, 2);
  other.remote_ts = {ts("10.2.5.0/24")};
  check(!dp->install_child_sa(other), "IKE SA 2 with 10.2.5.0/24 refused");

  watching = true;
  auto b = xfrm_spec(0xc2000002, 0xc1000002, 1);
  b.replaces_spi_in = 0xc2000001;
  auto rb = dp->install_child_sa(b);
  check(bool(rb), rb ? "rekey: pair c2000002 installed" : rb.error().message);
  policies_ok("after the rekey");
  auto rm = dp->remove_child_sa(0xc2000001);
  check(bool(rm), rm ? "old pair c2000001 removed" : rm.error().message);
  policies_ok("after removing the old pair");
  watching = false;
  check(messages > 0 && gaps == 0, "after each of the " + std::to_string(messages) +
                                       " messages of rekey and removal all 6 policies held");
  xfrm_move(
      *dp, kernel, reqid,
      [&](bool on) {
        watching = on;
        messages = gaps = 0;
      },
      messages, gaps);
  auto rl = dp->remove_child_sa(0xc2000002);
  check(bool(rl), "last pair removed");
  check(list_policies().empty(), "no policy left");
  check(run("ip xfrm state list").empty(), "no state left");
  check(kernel.simulated.empty(), "every stood-in state deleted");
  std::printf("ESP states: %s\n", kernel.stood_in ? "stood in (the kernel has no ESP)" : "real");

  xfrm_kernel_alone(o, xfrm_spec(0xc2000021, 0xc1000021, 1));
  return failures ? 1 : 0;
}

// RFC 3948 / RFC 7296 2.23: the XFRM data plane learns of ESP from a peer's new NAT
// mapping only through the kernel's XFRM_MSG_MAPPING on XFRMNLGRP_MAPPING. This kernel
// has no ESP, so it never sends one: what is proven here is that the subscription
// works in a namespace (joined, the group delivers) and that a report another process
// sends to the group is not taken for the kernel's.
int test_xfrm_mapping() {
  auto watch = XfrmMappingWatch::open();
  if (!watch && watch.error().code == Errc::environment) {
    std::printf("SKIP: %s\n", watch.error().message.c_str());
    return 77;
  }
  check(bool(watch),
        watch ? "NETLINK_XFRM socket joined XFRMNLGRP_MAPPING" : watch.error().message);
  if (!watch) return 1;
  auto member = watch->subscribed();
  check(member && *member, "NETLINK_LIST_MEMBERSHIPS lists XFRMNLGRP_MAPPING");
  std::vector<XfrmMapping> got;
  XfrmMappingStats st;
  check(bool(watch->read(got, st)) && got.empty(), "nothing to read yet, no error");

  // root may send to the group itself: it arrives (the group delivers), from a port id
  // that is not the kernel's, and is dropped and counted.
  int fd = ::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_XFRM);
  check(fd >= 0, "a second NETLINK_XFRM socket");
  if (fd < 0) return 1;
  struct {
    nlmsghdr h;
    xfrm_user_mapping um;
  } msg{};
  msg.h.nlmsg_len = sizeof msg;
  msg.h.nlmsg_type = XFRM_MSG_MAPPING;
  msg.um.id.family = AF_INET;
  msg.um.id.proto = IPPROTO_ESP;
  msg.um.id.spi = htonl(0xc2000001);
  msg.um.new_sport = htons(40000);
  sockaddr_nl to{};
  to.nl_family = AF_NETLINK;
  to.nl_groups = 1u << (XFRMNLGRP_MAPPING - 1);
  ssize_t sent = ::sendto(fd, &msg, sizeof msg, 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
  ::close(fd);
  check(sent == ssize_t(sizeof msg), "a forged XFRM_MSG_MAPPING sent to the group");
  auto r = watch->read(got, st);
  check(bool(r), "read");
  check(st.not_from_kernel == 1, "it arrived and was dropped as not the kernel's (" +
                                     std::to_string(st.not_from_kernel) + ")");
  check(got.empty() && st.received == 0, "no mapping taken from it");
  return failures ? 1 : 0;
}

} // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: io_netns_dataplane_test "
                         "tun-owners|tun-inbound|tun-paths|xfrm-rekey|xfrm-mapping\n");
    return 2;
  }
  std::string sub = argv[1];
  if (sub == "tun-owners") return test_tun_owners();
  if (sub == "tun-inbound") return test_tun_inbound();
  if (sub == "tun-paths") return test_tun_paths();
  if (sub == "xfrm-rekey") return test_xfrm_rekey();
  if (sub == "xfrm-mapping") return test_xfrm_mapping();
  std::fprintf(stderr, "io_netns_dataplane_test: unknown test \"%s\"\n", sub.c_str());
  return 2;
}
