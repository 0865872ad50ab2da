// Privileged test of the TUN data plane on ike-up's shared sockets with both outer
// address families (issue 16), run by netns-run.sh inside a fresh network namespace:
//   io_netns_dual_test tun-dual   one pair starts on IPv4 (ESP in UDP from ike-up's
//        NAT-T socket on 127.0.0.1) and MOBIKE moves it to IPv6 (RFC 4555 3.5): first to
//        ESP in UDP from the NAT-T socket on ::1, then to plain ESP (IP protocol 50)
//        through the data plane's raw IPv6 socket, and plain ESP the peer sends over IPv6
//        is opened and delivered (receive_plain). Before, every move to the other family
//        was refused ("address family differs from the data plane's socket").
// Exit 0 pass, 1 fail, 77 skip (with "SKIP: <reason>").
#include "base/hex.hpp"
#include "esp/sa.hpp"
#include "io/dataplane/tun_dataplane.hpp"
#include "netns_util.hpp"
#include "test_keys.hpp"

#include <optional>

using namespace ikekit;
using namespace ikekit::io;
using namespace ikekit::io::dataplane;
using namespace netns_test;

namespace {

constexpr uint16_t kPort = 4740; // ike-up's NAT-T port on 127.0.0.1 and ::1

int udp6(uint16_t port) { // the peer's IPv6 ESP socket, [::1]:port
  int fd = ::socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_storage ss;
  socklen_t len = to_sockaddr(Endpoint{ip("::1"), port}, ss);
  if (fd >= 0 && ::bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// The peer: its sockets (IPv4 UDP, IPv6 UDP, raw IPv6 ESP) and its halves of the SAs.
struct Peer {
  int v4 = -1, v6 = -1, raw6 = -1;
  ChildSaSpec spec;
  std::optional<esp::EspSaIn> opener;  // spec.out
  std::optional<esp::EspSaOut> sealer; // spec.in
};

Peer make_peer() {
  Peer p;
  p.v4 = plain_udp("127.0.0.1", kPort + 1);
  p.v6 = udp6(kPort + 2);
  p.raw6 = ::socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ESP);
  p.spec.in = gcm_keys(0xd2000001);
  p.spec.out = gcm_keys(0xd1000001);
  p.spec.local = p.spec.remote = ip("127.0.0.1");
  p.spec.local_port = kPort;
  p.spec.remote_port = kPort + 1;
  p.spec.ike_sa = 1;
  p.spec.local_ts = {esp::TrafficSelector{pfx("10.91.0.0/24"), 0, 0, 65535}};
  p.spec.remote_ts = {esp::TrafficSelector{pfx("10.92.1.0/24"), 0, 0, 65535}};
  if (auto in = esp::EspSaIn::create(sa_params(p.spec.out, 64))) p.opener.emplace(std::move(*in));
  if (auto out = esp::EspSaOut::create(sa_params(p.spec.in, 0), nullptr))
    p.sealer.emplace(std::move(*out));
  return p;
}

// Reads `count` ESP packets on `fd`: each from `src` (port `port`, 0 for plain ESP) and
// opened by the peer (the pair's outbound SPI, intact).
void expect(Peer& p, int fd, const char* src, uint16_t port, int count, const std::string& what) {
  int from_src = 0, opened = 0;
  for (int i = 0; i < count && wait_readable(fd, 500); ++i) {
    uint8_t buf[2048];
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    ssize_t r = ::recvfrom(fd, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&ss), &len);
    if (r < 8) continue;
    if (load_be32(buf) != p.spec.out.spi) { // the peer's own plain ESP, looped back
      --i;
      continue;
    }
    auto from = from_sockaddr(ss);
    if (from && from->address == ip(src) && (port == 0 || from->port == port)) ++from_src;
    if (p.opener && p.opener->open_in_place(MutBytes(buf, size_t(r)))) ++opened;
  }
  check(from_src == count && opened == count, what + ": " + std::to_string(from_src) + "/" +
                                                  std::to_string(count) + " from " + src + ", " +
                                                  std::to_string(opened) + " opened");
}

void burst(int inner, int count) {
  const uint8_t payload[] = {'d', 'u', 'a', 'l'};
  for (int i = 0; i < count; ++i)
    send_to(inner, payload, "10.92.1.5", 9);
}

// The peer sends plain ESP over IPv6 (inner 10.92.1.6 -> 10.91.0.1:7000); the data plane
// reads its raw IPv6 socket as ike-up's loop would and delivers it to the device.
bool inject_plain6(TunDataplane& dp, Peer& p, int listener) {
  const uint8_t hi[] = {'h', 'i'};
  Bytes inner = ipv4_packet("10.92.1.6", "10.91.0.1", 17, 5000, 7000, hi);
  std::vector<uint8_t> buf(2048);
  std::copy(inner.begin(), inner.end(), buf.begin() + 64);
  auto sealed = p.sealer->seal_in_place(buf, 64, inner.size(), esp::kNextHeaderIpv4);
  sockaddr_storage ss;
  socklen_t len = to_sockaddr(Endpoint{ip("::1"), 0}, ss);
  if (!sealed || ::sendto(p.raw6, sealed.packet.data(), sealed.packet.size(), 0,
                          reinterpret_cast<sockaddr*>(&ss), len) < 0)
    return false;
  const int fd = dp.plain_fd(IpAddress::Family::v6);
  if (fd < 0 || !wait_readable(fd, 500)) return false;
  dp.receive_plain(IpAddress::Family::v6);
  uint8_t got[64];
  return wait_readable(listener, 500) && ::recv(listener, got, sizeof got, 0) == 2;
}

int test_tun_dual() {
  auto s4 = UdpSocket::open({.local = {ip("127.0.0.1"), kPort}, .nat_t = true});
  auto s6 = UdpSocket::open({.local = {ip("::1"), kPort}, .nat_t = true});
  if (!s4 || !s6) {
    std::printf("SKIP: no IPv4 and IPv6 loopback sockets: %s\n",
                (!s4 ? s4.error() : s6.error()).message.c_str());
    return 77;
  }
  TunDataplaneOptions o;
  o.tun.name = "ikdual0";
  o.tun_config.addresses = {pfx("10.91.0.1/24")};
  o.tun_config.routes = {pfx("10.92.0.0/16")};
  o.local = ip("127.0.0.1"); // the first connection's: IPv4
  o.shared_udp_fd = s4->fd();
  o.plain_esp = true;
  auto dp = TunDataplane::create(o);
  if (!dp) {
    std::printf("%s: %s\n", dp.error().code == Errc::environment ? "SKIP" : "FAIL",
                dp.error().message.c_str());
    return dp.error().code == Errc::environment ? 77 : 1;
  }
  run("sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.ikdual0.rp_filter=0");
  check((*dp)->plain_fd(IpAddress::Family::v4) >= 0 && (*dp)->plain_fd(IpAddress::Family::v6) >= 0,
        "a plain ESP socket of each family");
  int inner = plain_udp("10.91.0.1", 0), listener = plain_udp("10.91.0.1", 7000);
  Peer p = make_peer();
  check(inner >= 0 && listener >= 0 && p.v4 >= 0 && p.v6 >= 0 && p.raw6 >= 0 && p.opener &&
            p.sealer,
        "sockets and SAs");
  auto installed = (*dp)->install_child_sa(p.spec, nullptr, s4->fd());
  check(bool(installed),
        "pair installed on 127.0.0.1" + (installed ? "" : ": " + installed.error().message));
  check(bool((*dp)->start()), "started");
  burst(inner, 4);
  expect(p, p.v4, "127.0.0.1", kPort, 4, "IPv4: ESP in UDP");

  const uint32_t spis[] = {p.spec.in.spi};
  TunDataplane::PairPath to6{ip("::1"), ip("::1"), uint16_t(kPort + 2), true, s6->fd()};
  auto moved = (*dp)->move_pairs(spis, to6);
  check(bool(moved), "moved to ::1 (ESP in UDP)" + (moved ? "" : ": " + moved.error().message));
  burst(inner, 4);
  expect(p, p.v6, "::1", kPort, 4, "IPv6 after the move: ESP in UDP");

  TunDataplane::PairPath plain6{ip("::1"), ip("::1"), 0, false, -1};
  moved = (*dp)->move_pairs(spis, plain6);
  check(bool(moved), "moved to plain ESP over IPv6" + (moved ? "" : ": " + moved.error().message));
  burst(inner, 4);
  expect(p, p.raw6, "::1", 0, 4, "IPv6: plain ESP (protocol 50)");
  check(inject_plain6(**dp, p, listener), "plain ESP over IPv6 from the peer opened and delivered");

  TunDataplane::PairPath mixed{ip("127.0.0.1"), ip("::1"), 0, false, -1};
  auto refused = (*dp)->move_pairs(spis, mixed);
  check(!refused && refused.error().field == "remote", "outer addresses of two families refused");
  (*dp)->stop();
  for (int fd : {inner, listener, p.v4, p.v6, p.raw6})
    if (fd >= 0) ::close(fd);
  return failures ? 1 : 0;
}

} // namespace

int main(int argc, char** argv) {
  if (argc != 2 || std::string(argv[1]) != "tun-dual") {
    std::fprintf(stderr, "usage: io_netns_dual_test tun-dual\n");
    return 2;
  }
  return test_tun_dual();
}
