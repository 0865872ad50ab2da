// Privileged I/O tests, run by netns-run.sh inside a fresh network namespace:
//   io_netns_test tun   TUN device + rtnetlink config, a packet each way
//   io_netns_test xfrm  XFRM policy pair installed/removed for real; an ESP state
//                       is accepted (kernel with ESP) or refused with a clear
//                       environment error (kernel without ESP)
//   io_netns_test xfrm-encap  the XFRM data plane on a caller's NAT-T socket (ike-up):
//                       UDP_ENCAP set on it, IKE behind the non-ESP marker still
//                       delivered, ESP taken by the kernel, the socket bypasses policies
//   io_netns_test tun-rekey   a TUN data plane SA past its soft sequence limit asks
//                       for a rekey once (rekey_fd readable, take_rekey_requests)
// Exit 0 pass, 1 fail, 77 skip (with "SKIP: <reason>").
#include "io/dataplane/tun_dataplane.hpp"
#include "io/dataplane/xfrm_dataplane.hpp"
#include "io/netlink_route.hpp"
#include "io/tun_device.hpp"
#include "io/udp_socket.hpp"
#include "io/xfrm.hpp"
#include "netns_util.hpp"
#include "test_keys.hpp"

#include <array>
#include <cstdio>
#include <cstring>
#include <linux/udp.h>
#include <netinet/in.h>
#include <poll.h>
#include <string>
#include <sys/socket.h>
#include <unistd.h>

using namespace ikekit;
using namespace ikekit::io;
using namespace netns_test;

namespace {

int test_tun() {
  auto tun = TunDevice::open(TunOptions{"iktun0", false, false});
  if (!tun && tun.error().code == Errc::environment) {
    std::printf("SKIP: %s\n", tun.error().message.c_str());
    return 77;
  }
  if (!tun) {
    std::printf("FAIL: %s\n", tun.error().message.c_str());
    return 1;
  }
  check(tun->name() == "iktun0" && tun->ifindex() > 0, "TUN device iktun0 created");
  TunConfig cfg;
  cfg.mtu = 1400;
  cfg.addresses = {pfx("10.77.0.1/24"), pfx("fd00:77::1/64")};
  cfg.routes = {pfx("10.78.0.0/16"), pfx("fd00:78::/64")};
  auto configured = tun->configure(cfg);
  check(bool(configured),
        configured ? "configured mtu, addresses, up, routes" : configured.error().message);
  std::string addr = run("ip -j addr show dev iktun0");
  check(contains(addr, "\"mtu\":1400"), "ip -j addr: mtu 1400");
  check(contains(addr, "\"local\":\"10.77.0.1\",\"prefixlen\":24"), "ip -j addr: 10.77.0.1/24");
  check(contains(addr, "\"local\":\"fd00:77::1\",\"prefixlen\":64"), "ip -j addr: fd00:77::1/64");
  check(contains(addr, "UP"), "ip -j addr: link is up");
  std::string route4 = run("ip -j route show dev iktun0");
  std::string route6 = run("ip -j -6 route show dev iktun0");
  check(contains(route4, "\"dst\":\"10.78.0.0/16\""), "ip -j route: 10.78.0.0/16 dev iktun0");
  check(contains(route6, "\"dst\":\"fd00:78::/64\""), "ip -j -6 route: fd00:78::/64 dev iktun0");

  // Kernel -> TUN: a datagram to the routed subnet comes out of the TUN fd.
  UdpSocketOptions uo;
  uo.local = Endpoint{ip("10.77.0.1"), 0};
  auto sock = UdpSocket::open(uo);
  check(bool(sock), sock ? "UDP socket on 10.77.0.1" : sock.error().message);
  if (!sock) return 1;
  const uint8_t hello[] = {'h', 'e', 'l', 'l', 'o'};
  auto sent = sock->send(SendSlot{hello, Endpoint{ip("10.78.0.5"), 9}, std::nullopt, false, 0});
  check(sent && *sent, "sent a datagram to 10.78.0.5:9");
  std::array<uint8_t, 2048> buf{};
  size_t n = 0;
  for (int i = 0; i < 20 && n == 0; ++i) { // skip IPv6 router solicitations etc.
    if (!wait_readable(tun->fd(), 200)) continue;
    auto r = tun->read(buf);
    if (r && *r >= 20 && (buf[0] >> 4) == 4 && buf[9] == 17) n = *r;
  }
  check(n == 20 + 8 + sizeof hello, "read the IPv4/UDP packet from the TUN fd");
  if (n) {
    check(std::memcmp(buf.data() + 16, ip("10.78.0.5").bytes().data(), 4) == 0,
          "its destination is 10.78.0.5");
    check(std::memcmp(buf.data() + 28, hello, sizeof hello) == 0, "its payload is intact");
  }

  // TUN -> kernel: a datagram from 10.78.0.5 written into the TUN fd is delivered
  // to the socket.
  Bytes pkt = ipv4_packet("10.78.0.5", "10.77.0.1", 17, 9, sock->local().port, hello);
  auto wrote = tun->write(pkt);
  check(wrote && *wrote, "wrote an IPv4/UDP packet into the TUN fd");
  std::array<RecvSlot, 1> in;
  in[0].buffer = buf;
  size_t got = 0;
  if (wait_readable(sock->fd(), 2000)) {
    auto r = sock->recv_batch(in);
    got = r ? *r : 0;
  }
  check(got == 1 && in[0].size == sizeof hello && in[0].remote == Endpoint{ip("10.78.0.5"), 9},
        "the socket received it from 10.78.0.5:9");

  std::string name = tun->name();
  { TunDevice closing = std::move(*tun); } // moving keeps the device, destroying closes it
  check(!contains(run("ip link show " + name + " 2>&1"), "state"), "device gone after close");
  return failures ? 1 : 0;
}

// Whether the running kernel has ESP and GCM, from its config: 1 yes, 0 no, -1 unknown.
int kernel_has_esp_gcm() {
  std::string cfg =
      run("cat /boot/config-$(uname -r) 2>/dev/null || zcat /proc/config.gz 2>/dev/null");
  if (cfg.empty()) return -1;
  bool esp = contains(cfg, "CONFIG_INET_ESP=y") || contains(cfg, "CONFIG_INET_ESP=m");
  bool gcm = contains(cfg, "CONFIG_CRYPTO_GCM=y") || contains(cfg, "CONFIG_CRYPTO_GCM=m");
  return esp && gcm ? 1 : 0;
}

int test_xfrm() {
  auto nl = XfrmNetlink::open();
  if (!nl) {
    std::printf("SKIP: %s\n", nl.error().message.c_str());
    return 77;
  }
  // RFC 4301 4.4.1: an outbound and an inbound policy for 10.1/16 <-> 10.2/16.
  XfrmPolicy out;
  out.sel.src = pfx("10.1.0.0/16");
  out.sel.dst = pfx("10.2.0.0/16");
  out.dir = XfrmDir::out;
  out.priority = 1000;
  out.tmpl = XfrmTemplate{ip("192.0.2.1"), ip("192.0.2.2"), 7, XfrmMode::tunnel};
  XfrmPolicy in = out;
  in.sel.src = out.sel.dst;
  in.sel.dst = out.sel.src;
  in.dir = XfrmDir::in;
  in.tmpl = XfrmTemplate{ip("192.0.2.2"), ip("192.0.2.1"), 7, XfrmMode::tunnel};
  auto a = nl->add_policy(out);
  check(bool(a), a ? "added out policy" : a.error().message);
  auto b = nl->add_policy(in);
  check(bool(b), b ? "added in policy" : b.error().message);
  auto dup = nl->add_policy(out);
  check(!dup && contains(dup.error().message, "EEXIST"), "adding it twice names EEXIST");
  std::string list = run("ip xfrm policy list");
  check(contains(list, "src 10.1.0.0/16 dst 10.2.0.0/16") && contains(list, "dir out"),
        "ip xfrm policy list shows the out policy");
  check(contains(list, "src 10.2.0.0/16 dst 10.1.0.0/16") && contains(list, "dir in"),
        "ip xfrm policy list shows the in policy");
  check(contains(list, "reqid 7 mode tunnel"), "with its template");
  auto d1 = nl->delete_policy(XfrmPolicyId{out.sel, out.dir, {}, {}});
  auto d2 = nl->delete_policy(XfrmPolicyId{in.sel, in.dir, {}, {}});
  check(d1 && d2, "deleted both policies");
  check(run("ip xfrm policy list").empty(), "ip xfrm policy list is empty again");
  auto d3 = nl->delete_policy(XfrmPolicyId{in.sel, in.dir, {}, {}});
  check(!d3 && d3.error().code == Errc::not_found, "deleting again is not_found");

  // An ESP state.
  uint8_t key[20] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20};
  XfrmSa sa;
  sa.src = ip("192.0.2.1");
  sa.dst = ip("192.0.2.2");
  sa.spi = 0xc0ffee01;
  sa.reqid = 7;
  sa.aead = XfrmAlgorithm{kXfrmAesGcm, key, 128};
  auto added = nl->add_sa(sa);
  auto probe = probe_xfrm_esp();
  int expect = kernel_has_esp_gcm();
  std::printf("kernel config: ESP+GCM %s\n", expect < 0 ? "unknown" : expect ? "yes" : "no");
  if (added) {
    check(expect != 0, "kernel accepted the ESP state");
    check(run("ip xfrm state list").find("spi 0xc0ffee01") != std::string::npos,
          "ip xfrm state list shows it");
    auto c = nl->sa_counters(XfrmSaId{sa.src, sa.dst, sa.spi, {}});
    check(c && c->packets == 0 && c->add_time > 0, "GETSA counters: 0 packets, add_time set");
    auto del = nl->delete_sa(XfrmSaId{sa.src, sa.dst, sa.spi, {}});
    check(bool(del), "deleted the ESP state");
    check(bool(probe), "probe_xfrm_esp: ok");
  } else {
    std::printf("add_sa error: %s\n", added.error().message.c_str());
    check(expect != 1, "kernel refused the ESP state");
    check(added.error().code == Errc::environment, "refusal is Errc::environment");
    check(contains(added.error().message, "kernel refused the XFRM ESP state") &&
              contains(added.error().message, "use the TUN data plane"),
          "message names the missing kernel support and the TUN data plane");
    check(!probe && probe.error().code == Errc::environment,
          "probe_xfrm_esp: environment error too");
    if (!probe) std::printf("probe error: %s\n", probe.error().message.c_str());
    // With algorithms the kernel has (cbc(aes), hmac(sha256)) the refusal is ESP itself.
    uint8_t k16[16] = {}, k32[32] = {};
    XfrmSa cbc = sa;
    cbc.aead.reset();
    cbc.crypt = XfrmAlgorithm{kXfrmAesCbc, k16, 0};
    cbc.auth = XfrmAlgorithm{kXfrmHmacSha256, k32, 128};
    auto r = nl->add_sa(cbc);
    if (!r) std::printf("add_sa (cbc) error: %s\n", r.error().message.c_str());
    check(!r && r.error().code == Errc::environment, "cbc(aes)+hmac(sha256) state refused too");
  }
  return failures ? 1 : 0;
}

// ike-up --dataplane xfrm: the runner holds local:4500, so the XFRM data plane marks
// that socket UDP_ENCAP_ESPINUDP instead of binding a second one (EADDRINUSE).
int test_xfrm_encap() {
  auto natt = UdpSocket::open({.local = {ip("127.0.0.1"), kNatTPort}, .nat_t = true});
  if (!natt) {
    std::printf("FAIL: %s\n", natt.error().message.c_str());
    return 1;
  }
  using dataplane::XfrmDataplane;
  auto own = XfrmDataplane::open({.local = ip("127.0.0.1"), .udp_encap = true, .port = kNatTPort});
  if (!own && own.error().code == Errc::environment && contains(own.error().message, "XFRM")) {
    std::printf("SKIP: %s\n", own.error().message.c_str());
    return 77;
  }
  check(!own && contains(own.error().message, "in use"),
        own ? "a second socket on 4500 was bound?"
            : "a second socket on 4500: " + own.error().message);
  auto shared = XfrmDataplane::open({.local = ip("127.0.0.1"),
                                     .udp_encap = true,
                                     .port = kNatTPort,
                                     .own_encap_socket = false,
                                     .shared_encap_fd = natt->fd()});
  check(bool(shared),
        shared ? "XfrmDataplane::open on the caller's NAT-T socket" : shared.error().message);
  int type = 0;
  socklen_t tlen = sizeof type;
  check(::getsockopt(natt->fd(), IPPROTO_UDP, UDP_ENCAP, &type, &tlen) == 0 &&
            type == UDP_ENCAP_ESPINUDP,
        "the NAT-T socket is UDP_ENCAP_ESPINUDP");

  // RFC 3948 2.2: IKE behind the non-ESP marker reaches user space; ESP (a non-zero
  // SPI first) goes to the kernel's ESP input (dropped there: no state).
  int peer = plain_udp("127.0.0.1", 0);
  check(peer >= 0, "peer socket");
  const uint8_t ike1[] = {0, 0, 0, 0, 'i', 'k', 'e', '1', 0, 0, 0, 0, 0, 0, 0, 0};
  const uint8_t esp[] = {0xc0, 0xff, 0xee, 0x01, 0,  0,  0,  1,  1,  2,  3,  4,  5,  6,  7,  8,
                         9,    10,   11,   12,   13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24};
  const uint8_t ike2[] = {0, 0, 0, 0, 'i', 'k', 'e', '2', 0, 0, 0, 0, 0, 0, 0, 0};
  check(send_to(peer, ike1, "127.0.0.1", kNatTPort) && send_to(peer, esp, "127.0.0.1", kNatTPort) &&
            send_to(peer, ike2, "127.0.0.1", kNatTPort),
        "sent IKE, ESP, IKE to 4500");
  std::array<uint8_t, 4 * 2048> storage{};
  std::array<RecvSlot, 4> slots;
  for (size_t i = 0; i < slots.size(); ++i)
    slots[i].buffer = MutBytes(storage.data() + i * 2048, 2048);
  size_t got = 0, ike = 0, esp_seen = 0;
  for (int i = 0; i < 10 && got < 3; ++i) {
    if (!wait_readable(natt->fd(), 100)) continue;
    auto n = natt->recv_batch(std::span(slots.data() + got, slots.size() - got));
    if (!n) break;
    for (size_t j = got; j < got + *n; ++j) {
      if (slots[j].kind == wire::UdpKind::ike) ++ike;
      if (slots[j].kind == wire::UdpKind::esp) ++esp_seen;
    }
    got += *n;
  }
  check(ike == 2, "both IKE messages reached the socket (" + std::to_string(ike) + ")");
  check(esp_seen == 0, "the ESP datagram did not (the kernel took it)");

  // Per-socket bypass (what EngineDataplane sets on every runner socket): an out
  // policy for 10.83.0.1 -> 10.83.0.2 udp with no state blackholes what it catches;
  // a bypassing socket's datagram still leaves through the veth (a static neighbour,
  // no IPv6, so nothing else is sent). Loopback routes never see XFRM (disable_xfrm).
  run("ip link add ikv0 type veth peer name ikv1 && sysctl -qw net.ipv6.conf.ikv0.disable_ipv6=1 "
      "&& "
      "ip addr add 10.83.0.1/24 dev ikv0 && ip link set ikv1 up && ip link set ikv0 up && "
      "ip neigh add 10.83.0.2 lladdr 02:00:00:00:00:02 dev ikv0");
  auto tx_packets = [] {
    return std::stoul("0" + run("cat /sys/class/net/ikv0/statistics/tx_packets"));
  };
  int plain = plain_udp("10.83.0.1", 0), bypass = plain_udp("10.83.0.1", 0);
  auto bp = dataplane::bypass_socket_policy(bypass, false);
  check(bool(bp), bp ? "bypass policy on a socket" : bp.error().message);
  auto nl = XfrmNetlink::open();
  XfrmPolicy out;
  out.sel.src = pfx("10.83.0.1/32");
  out.sel.dst = pfx("10.83.0.2/32");
  out.sel.proto = 17;
  out.dir = XfrmDir::out;
  out.tmpl = XfrmTemplate{ip("10.83.0.1"), ip("10.83.0.2"), 9, XfrmMode::transport};
  auto added = nl->add_policy(out);
  check(bool(added), added ? "out policy 10.83.0.1 -> 10.83.0.2 udp" : added.error().message);
  unsigned long t0 = tx_packets();
  bool sent_plain = send_to(plain, ike1, "10.83.0.2", 4500);
  unsigned long t1 = tx_packets();
  bool sent_bypass = send_to(bypass, ike2, "10.83.0.2", 4500);
  unsigned long t2 = tx_packets();
  check(sent_plain && t1 == t0, "the policy caught the plain socket's datagram");
  check(sent_bypass && t2 == t1 + 1, "the bypassing socket's datagram left through ikv0");
  if (added) (void)nl->delete_policy(XfrmPolicyId{out.sel, out.dir, {}, {}});
  ::close(plain);
  ::close(bypass);
  ::close(peer);
  return failures ? 1 : 0;
}

// RFC 4303 3.3.3 / RFC 7296 2.8: the TUN data plane asks once per SA for a rekey when
// its outbound SA passes the soft sequence limit, and keeps sending meanwhile.
int test_tun_rekey() {
  using namespace dataplane;
  TunDataplaneOptions o;
  o.tun.name = "ikrk0";
  o.tun_config.addresses = {pfx("10.81.0.1/24")};
  o.tun_config.routes = {pfx("10.82.0.0/24")};
  o.local = ip("127.0.0.1");
  o.port = 4600;
  auto dp = TunDataplane::create(o);
  if (!dp && dp.error().code == Errc::environment) {
    std::printf("SKIP: %s\n", dp.error().message.c_str());
    return 77;
  }
  if (!dp) {
    std::printf("FAIL: %s\n", dp.error().message.c_str());
    return 1;
  }
  ChildSaSpec spec;
  spec.in = gcm_keys(0xc2000001);
  spec.out = gcm_keys(0xc1000001);
  spec.local = spec.remote = ip("127.0.0.1");
  spec.local_port = 4600;
  spec.remote_port = 4601;
  spec.local_ts = {esp::TrafficSelector{pfx("10.81.0.0/24")}};
  spec.remote_ts = {esp::TrafficSelector{pfx("10.82.0.0/24")}};
  spec.soft_limit_seq = 3;
  auto inst = (*dp)->install_child_sa(spec);
  check(bool(inst),
        inst ? "installed the pair, soft limit at sequence number 3" : inst.error().message);
  auto st = (*dp)->start();
  check(bool(st), "started");
  int esp_peer = plain_udp("127.0.0.1", 4601); // where the sealed packets go
  int inner = plain_udp("10.81.0.1", 0);
  check(esp_peer >= 0 && inner >= 0, "sockets");
  uint32_t next = 1;
  // Sends `n` inner datagrams through the tunnel and reads their ESP packets,
  // checking SPI and sequence numbers.
  auto pass = [&](int n) {
    const uint8_t payload[] = {'p', 'i', 'n', 'g'};
    for (int i = 0; i < n; ++i)
      send_to(inner, payload, "10.82.0.5", 9);
    int seen = 0;
    uint8_t buf[256];
    while (seen < n && wait_readable(esp_peer, 2000)) {
      ssize_t r = ::recv(esp_peer, buf, sizeof buf, 0);
      if (r < 8) break;
      if (load_be32(buf) == 0xc1000001 && load_be32(buf + 4) == next) ++next;
      ++seen;
    }
    return seen == n;
  };
  check(pass(2), "sequence numbers 1, 2 sealed and sent");
  check(!wait_readable((*dp)->rekey_fd(), 200), "below the soft limit: rekey_fd not readable");
  check((*dp)->take_rekey_requests().empty(), "no rekey requested yet");
  check(pass(1), "sequence number 3 sealed and sent");
  check(wait_readable((*dp)->rekey_fd(), 2000), "at the soft limit: rekey_fd readable");
  auto req = (*dp)->take_rekey_requests();
  check(req == std::vector<uint32_t>{0xc2000001},
        "one request, for the pair's inbound SPI c2000001");
  check(!wait_readable((*dp)->rekey_fd(), 0), "taking the requests reset rekey_fd");
  check(pass(5), "sequence numbers 4..8 still sealed and sent (no wrap, no stop)");
  check(next == 9, "ESP carried sequence numbers 1..8 in order (" + std::to_string(next - 1) + ")");
  check(!wait_readable((*dp)->rekey_fd(), 200) && (*dp)->take_rekey_requests().empty(),
        "past the limit: no second request for the same SA");
  (*dp)->stop();
  ::close(inner);
  ::close(esp_peer);
  return failures ? 1 : 0;
}

} // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: io_netns_test tun|xfrm|xfrm-encap|tun-rekey\n");
    return 2;
  }
  std::string sub = argv[1];
  if (sub == "tun") return test_tun();
  if (sub == "xfrm") return test_xfrm();
  if (sub == "xfrm-encap") return test_xfrm_encap();
  if (sub == "tun-rekey") return test_tun_rekey();
  std::fprintf(stderr, "io_netns_test: unknown test \"%s\"\n", sub.c_str());
  return 2;
}
