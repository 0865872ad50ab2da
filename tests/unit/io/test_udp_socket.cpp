// UDP sockets on loopback: batched send and receive, the local address from
// IP_PKTINFO, and the RFC 3948 2.2 demultiplexing of port-4500 traffic.
#include "io/udp_socket.hpp"
#include "ip_literal.hpp"
#include "require_all.hpp"

#include <array>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <poll.h>
#include <string_view>
#include <sys/wait.h>
#include <unistd.h>

using namespace ikekit;
using namespace ikekit::test;
using namespace ikekit::io;

namespace {

UdpSocket open_socket(bool nat_t) {
  UdpSocketOptions o;
  o.local = Endpoint{loopback_v4(), 0};
  o.nat_t = nat_t;
  auto s = UdpSocket::open(o);
  REQUIRE(s.has_value());
  return std::move(*s);
}

void wait_readable(int fd) {
  pollfd p{fd, POLLIN, 0};
  REQUIRE(::poll(&p, 1, 2000) == 1);
}

// Receive until `want` datagrams arrived (loopback delivers at once, but be patient).
size_t recv_all(UdpSocket& s, std::span<RecvSlot> slots, size_t want) {
  size_t got = 0;
  while (got < want) {
    wait_readable(s.fd());
    auto n = s.recv_batch(slots.subspan(got));
    REQUIRE(n.has_value());
    got += *n;
  }
  return got;
}

} // namespace

TEST_CASE("a batch of datagrams goes out with sendmmsg and comes back with recvmmsg", "[udp]") {
  UdpSocket a = open_socket(false);
  UdpSocket b = open_socket(false);
  REQUIRE(a.local().port != 0);

  std::array<std::array<uint8_t, 64>, 8> payloads;
  std::array<SendSlot, 8> out;
  for (size_t i = 0; i < out.size(); ++i) {
    payloads[i].fill(uint8_t(i));
    out[i].data = ByteView(payloads[i].data(), 10 + i);
    out[i].remote = b.local();
  }
  auto sent = a.send_batch(out);
  REQUIRE(sent.has_value());
  REQUIRE(*sent == 8);

  std::array<std::array<uint8_t, 2048>, 8> bufs;
  std::array<RecvSlot, 8> in;
  for (size_t i = 0; i < in.size(); ++i)
    in[i].buffer = bufs[i];
  REQUIRE(recv_all(b, in, 8) == 8);
  for (size_t i = 0; i < in.size(); ++i) {
    CHECK(in[i].size == 10 + i);
    CHECK(in[i].data()[0] == uint8_t(i));
    CHECK(in[i].remote == a.local());
    REQUIRE(in[i].local.has_value());
    CHECK(*in[i].local == loopback_v4()); // IP_PKTINFO
    CHECK(in[i].ifindex > 0);
    CHECK(in[i].kind == wire::UdpKind::ike);
    CHECK(in[i].payload().size() == in[i].size);
  }
  // Nothing left: a non-blocking receive says 0.
  auto none = b.recv_batch(in);
  REQUIRE(none.has_value());
  CHECK(*none == 0);
}

TEST_CASE("on a NAT-T socket IKE carries the non-ESP marker, keepalives and ESP are told apart",
          "[udp]") {
  UdpSocket a = open_socket(true);
  UdpSocket b = open_socket(true);
  const uint8_t ike_msg[] = {0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99};
  const uint8_t keepalive[] = {0xff};                                         // RFC 3948 2.3
  const uint8_t esp_pkt[] = {0xc0, 0xff, 0xee, 0x01, 0, 0, 0, 1, 0xaa, 0xbb}; // SPI, seq, ...
  std::array<SendSlot, 3> out;
  out[0] = SendSlot{ike_msg, b.local(), std::nullopt, true, 0};
  out[1] = SendSlot{keepalive, b.local(), std::nullopt, false, 0};
  out[2] = SendSlot{esp_pkt, b.local(), loopback_v4(), false, 0}; // explicit source via PKTINFO
  auto sent = a.send_batch(out);
  REQUIRE(sent.has_value());
  REQUIRE(*sent == 3);

  std::array<std::array<uint8_t, 256>, 3> bufs;
  std::array<RecvSlot, 3> in;
  for (size_t i = 0; i < in.size(); ++i)
    in[i].buffer = bufs[i];
  REQUIRE(recv_all(b, in, 3) == 3);
  CHECK(in[0].kind == wire::UdpKind::ike);
  CHECK(in[0].size == sizeof ike_msg + 4);
  CHECK(equal_bytes(in[0].payload(), ike_msg)); // marker stripped
  CHECK(in[1].kind == wire::UdpKind::keepalive);
  CHECK(in[2].kind == wire::UdpKind::esp);
  CHECK(equal_bytes(in[2].payload(), esp_pkt));
  CHECK(in[2].remote == a.local());
}

TEST_CASE("a datagram larger than the slot is reported truncated", "[udp]") {
  UdpSocket a = open_socket(false);
  UdpSocket b = open_socket(false);
  std::array<uint8_t, 100> big{};
  auto ok = a.send(SendSlot{big, b.local(), std::nullopt, false, 0});
  REQUIRE(ok.has_value());
  CHECK(*ok);
  std::array<uint8_t, 10> small;
  std::array<RecvSlot, 1> in;
  in[0].buffer = small;
  REQUIRE(recv_all(b, in, 1) == 1);
  CHECK(in[0].truncated);
}

TEST_CASE("UDP GSO sends one buffer as several datagrams when the kernel supports it", "[udp]") {
  UdpSocketOptions o;
  o.local = Endpoint{loopback_v4(), 0};
  o.gro = false;
  auto a = UdpSocket::open(o);
  REQUIRE(a);
  UdpSocket b = open_socket(false);
  if (!a->features().gso) {
    SKIP_OR_FAIL("kernel lacks UDP_SEGMENT");
  }
  std::array<uint8_t, 300> buf{};
  for (size_t i = 0; i < buf.size(); ++i)
    buf[i] = uint8_t(i / 100);
  auto ok = a->send(SendSlot{buf, b.local(), std::nullopt, false, 100});
  REQUIRE(ok.has_value());
  std::array<std::array<uint8_t, 2048>, 3> bufs;
  std::array<RecvSlot, 3> in;
  for (size_t i = 0; i < in.size(); ++i)
    in[i].buffer = bufs[i];
  REQUIRE(recv_all(b, in, 3) == 3);
  for (size_t i = 0; i < 3; ++i) {
    CHECK(in[i].size == 100);
    CHECK(in[i].data()[0] == uint8_t(i));
  }
}

TEST_CASE("binding a port that is in use is an environment error naming the address and port",
          "[udp]") {
  UdpSocket a = open_socket(false);
  UdpSocketOptions o;
  o.local = a.local();
  auto b = UdpSocket::open(o);
  REQUIRE_FALSE(b);
  CHECK(b.error().code == Errc::environment); // ike-up exits 3: it cannot bind
  CHECK(b.error().message.find(a.local().to_string()) != std::string::npos);
  CHECK(b.error().message.find("EADDRINUSE") != std::string::npos);
}

TEST_CASE("binding port 500 without privilege is an environment error", "[udp]") {
  // As root (CI), the bind is tried in a child that dropped to nobody (uid 65534).
  auto attempt = []() -> int { // 0: environment error naming the endpoint
    UdpSocketOptions o;
    o.local = Endpoint{loopback_v4(), kIkePort};
    auto s = UdpSocket::open(o);
    if (s) return 1;
    if (s.error().code != Errc::environment) return 2;
    return s.error().message.find("127.0.0.1:500") != std::string::npos ? 0 : 3;
  };
  if (::geteuid() != 0) {
    CHECK(attempt() == 0);
    return;
  }
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    if (::setresgid(65534, 65534, 65534) != 0 || ::setresuid(65534, 65534, 65534) != 0) ::_exit(9);
    ::_exit(attempt());
  }
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
}
