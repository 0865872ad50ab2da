// RFC 9329 connections on loopback (io/tcp_streams.hpp): an originator and a listening
// responder on one event loop. RFC 9329 6.1: "Multiple IKE SAs MUST NOT share a single
// TCP connection, unless one is a rekey of an existing IKE SA": each IKE SA the
// originator sends for opens its own connection, the old IKE SA of a rekey (another
// SaId, the same Transmit::connection) goes on its successor's.
#include "io/tcp_streams.hpp"
#include "ip_literal.hpp"

#include <catch2/catch.hpp>
#include <netinet/in.h>
#include <sys/socket.h>

using namespace ikekit;
using namespace ikekit::test;
using namespace ikekit::io;

namespace {

uint16_t local_port(int fd) {
  sockaddr_in sin{};
  socklen_t len = sizeof sin;
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&sin), &len) == 0);
  return ntohs(sin.sin_port);
}

EventLoop make_loop() {
  auto l = EventLoop::create();
  REQUIRE(l.has_value());
  return std::move(*l);
}

struct Loopback {
  EventLoop loop;
  std::unique_ptr<TcpStreams> server, client;
  std::vector<ike::Datagram> arrived; // at the server (data not kept)
  uint16_t port = 0;

  Loopback() : loop(make_loop()) {
    TcpStreamsOptions so;
    so.port = 0; // the kernel's choice, read back below
    so.listen = {loopback_v4()};
    auto s = TcpStreams::create(
        loop, so, [this](const ike::Datagram& d, TimePoint) { arrived.push_back(d); },
        [](ike::SaId, TimePoint) {}, [](TimePoint) {});
    REQUIRE(s.has_value());
    server = std::move(*s);
    port = local_port(server->fds().at(0));
    auto c = TcpStreams::create(
        loop, TcpStreamsOptions{}, [](const ike::Datagram&, TimePoint) {},
        [](ike::SaId, TimePoint) {}, [](TimePoint) {});
    REQUIRE(c.has_value());
    client = std::move(*c);
  }
  // An IKE message from the IKE SA `sa` on the connection named `connection`.
  void send(ike::SaId sa, ike::SaId connection) {
    ike::Transmit t;
    t.local = ike::Endpoint{loopback_v4(), 0};
    t.remote = ike::Endpoint{loopback_v4(), port};
    t.sa = sa;
    t.connection = connection;
    t.stream = true;
    t.tcp_originator = true;
    const uint8_t msg[28] = {1, 2, 3, 4, 5, 6, 7, 8}; // an IKE header's worth (SPI_i != 0)
    client->send_ike(t, ByteView(msg, sizeof msg), EventLoop::now());
  }
  void run_until(size_t messages) {
    for (int i = 0; i < 200 && arrived.size() < messages; ++i)
      REQUIRE(loop.run_once(std::chrono::milliseconds(10)).has_value());
    REQUIRE(arrived.size() == messages);
  }
  size_t distinct_remote_ports() const {
    std::vector<uint16_t> ports;
    for (const auto& d : arrived)
      if (std::find(ports.begin(), ports.end(), d.remote.port) == ports.end())
        ports.push_back(d.remote.port);
    return ports.size();
  }
};

} // namespace

TEST_CASE("RFC 9329 6.1: two IKE SAs to one peer open two connections", "[tcp]") {
  Loopback l;
  l.send(1, 1);
  l.send(2, 2);
  l.send(1, 1); // the first IKE SA again: its own connection, not a third
  l.run_until(3);
  CHECK(l.client->stats().connects == 2);
  CHECK(l.server->stats().accepted == 2);
  CHECK(l.distinct_remote_ports() == 2);
  CHECK(l.client->writer_of(1) != l.client->writer_of(2));
}

TEST_CASE("RFC 9329 6.1: the old IKE SA of a rekey shares its successor's connection", "[tcp]") {
  Loopback l;
  l.send(1, 1);
  l.send(7, 1); // the old IKE SA, kept under another SaId until its Delete is answered
  l.run_until(2);
  CHECK(l.client->stats().connects == 1);
  CHECK(l.distinct_remote_ports() == 1);
  // The old one gone, the connection stays for the new one.
  l.client->sa_gone(7);
  l.send(1, 1);
  l.run_until(3);
  CHECK(l.client->stats().connects == 1);
  CHECK(l.client->writer_of(1) != nullptr);
  // The old IKE SA ends silently (no sa_gone for it): the successor's end closes it.
  l.send(8, 1);
  l.run_until(4);
  l.client->sa_gone(1);
  CHECK(l.client->writer_of(1) == nullptr);
  CHECK(l.client->fds().empty());
}

// RFC 9329 3: an ESP frame may be up to 65535 bytes, more than one read(2) of ours and
// more than the data plane's receive buffers. A frame the data plane can take arrives
// intact across reads; one it cannot is dropped and counted (esp_too_large), and the
// stream stays up and in step: the next IKE message arrives.
TEST_CASE("an ESP frame of 65533 bytes: intact across reads, or dropped by the data plane and "
          "counted, the stream kept",
          "[tcp]") {
  Loopback lb;
  std::vector<Bytes> esp_seen;
  size_t take_up_to = 65535;
  lb.server->set_esp_handler(
      [&](ByteView esp, TimePoint) {
        if (esp.size() > take_up_to) return false;
        esp_seen.emplace_back(esp.begin(), esp.end());
        return true;
      },
      [] {});
  lb.send(1, 1);
  lb.run_until(1);
  auto out = lb.client->writer_of(1);
  REQUIRE(out);
  Bytes big(wire::kTcpMaxFrame - wire::kTcpEspOverhead);
  for (size_t i = 0; i < big.size(); ++i)
    big[i] = uint8_t(i * 131 + (i >> 8) + 1); // SPI non-zero: ESP
  REQUIRE(out->append(wire::UdpKind::esp, big));
  lb.send(1, 1); // the IKE message after it (send_ike writes what is pending)
  lb.run_until(2);
  REQUIRE(esp_seen.size() == 1);
  CHECK(esp_seen[0] == big);

  take_up_to = 2048; // now the data plane's buffers are smaller than the frame
  REQUIRE(out->append(wire::UdpKind::esp, big));
  lb.send(1, 1);
  lb.run_until(3);
  CHECK(esp_seen.size() == 1);
  const TcpStreamsStats& s = lb.server->stats();
  CHECK(s.esp_in == 2);
  CHECK(s.esp_too_large == 1);
  CHECK(s.framing_errors == 0);
  CHECK(lb.server->connections(EventLoop::now()).size() == 1); // still the one connection
  CHECK(lb.server->reader_stats().esp == 2);
  CHECK(lb.server->reader_stats().ike == 3);
  CHECK(lb.client->writer_stats().ike_frames == 3);
  CHECK(lb.client->writer_stats().esp_frames == 2);
}
