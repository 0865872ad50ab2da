// RadiusTransport on loopback: the client's datagrams reach the address of the server
// they are meant for, answers are matched by source address (a stranger's datagram is
// ignored), and a silent first server is failed over on real time. The answering
// "server" is a thread signing responses with radius::sign_response; the real server
// is FreeRADIUS in tests/interop/freeradius_eap.sh.
#include "base/rng.hpp"
#include "io/eap_radius_relay.hpp"
#include "io/event_loop.hpp"
#include "io/radius_transport.hpp"

#include <catch2/catch.hpp>
#include <chrono>
#include <poll.h>
#include <thread>

using namespace ikekit;
using namespace ikekit::io;
using namespace std::chrono_literals;

namespace {

UdpSocket bound_socket() {
  UdpSocketOptions o;
  o.local = Endpoint{*IpAddress::parse("127.0.0.1"), 0};
  auto s = UdpSocket::open(o);
  REQUIRE(s.has_value());
  return std::move(*s);
}

// Answers each Access-Request with an Access-Reject (with Message-Authenticator); first a
// datagram from `stranger` that must be ignored.
void serve_one(UdpSocket& server, UdpSocket& stranger, std::string secret) {
  std::array<uint8_t, 4096> buf;
  pollfd p{server.fd(), POLLIN, 0};
  if (::poll(&p, 1, 5000) != 1) return;
  RecvSlot slot;
  slot.buffer = buf;
  auto n = server.recv_batch(std::span<RecvSlot>(&slot, 1));
  if (!n || *n != 1) return;
  auto req = radius::parse_packet(slot.data());
  if (!req) return;
  Bytes pkt(radius::kHeaderSize);
  pkt[0] = uint8_t(radius::Code::access_reject);
  pkt[1] = req->identifier;
  const uint8_t ma_header[] = {radius::attr::message_authenticator, 18};
  pkt.insert(pkt.end(), ma_header, ma_header + 2);
  pkt.resize(pkt.size() + 16);
  store_be16(pkt.data() + 2, uint16_t(pkt.size()));
  Bytes forged = pkt;
  (void)radius::sign_response(pkt, req->authenticator, as_bytes(secret), pkt.size() - 16);
  (void)radius::sign_response(forged, req->authenticator, as_bytes(secret), forged.size() - 16);
  forged[0] = uint8_t(radius::Code::access_accept); // from the wrong address, and unsigned
  SendSlot s1{forged, slot.remote};
  (void)stranger.send(s1);
  std::this_thread::sleep_for(20ms);
  SendSlot s2{pkt, slot.remote};
  (void)server.send(s2);
}

} // namespace

TEST_CASE("RadiusTransport: fail-over from a silent server, answers matched by source") {
  UdpSocket silent = bound_socket(); // bound, never answers (no ICMP either)
  UdpSocket server = bound_socket();
  UdpSocket stranger = bound_socket();
  auto transport = RadiusTransport::open({silent.local(), server.local()});
  REQUIRE(transport);
  SeededRng rng(1);
  radius::ClientConfig config;
  config.secrets.emplace_back(as_bytes("s-silent"));
  config.secrets.emplace_back(as_bytes("s-server"));
  config.timeout = 100ms;
  config.transmissions = 2;
  radius::Client client(std::move(config), rng);
  std::thread answer(serve_one, std::ref(server), std::ref(stranger), std::string("s-server"));
  const uint8_t eap[] = {2, 0, 0, 10, 1, 'a', 'l', 'i', 'c', 'e'};
  auto h =
      client.send(radius::AccessRequest{"alice", eap, {}, "ikekit-test", std::nullopt, "", 1400},
                  EventLoop::now());
  REQUIRE(h);
  auto r = transport->wait_for(client, *h);
  answer.join();
  REQUIRE(r);
  CHECK(r->outcome == radius::Outcome::reject);
  CHECK(r->server == 1);
  CHECK(client.stats().failovers == 1);
  CHECK(client.stats().retransmissions == 1);
  CHECK(client.stats().dropped[size_t(radius::DropReason::bad_authenticator)] == 0);
  // The silent server got both transmissions.
  std::array<uint8_t, 4096> buf;
  std::array<RecvSlot, 4> slots;
  for (auto& s : slots)
    s.buffer = buf; // sizes only
  auto got = silent.recv_batch(slots);
  REQUIRE(got);
  CHECK(*got == 2);
}

TEST_CASE("RadiusTransport: servers of two address families are refused") {
  auto t = RadiusTransport::open(
      {Endpoint{*IpAddress::parse("127.0.0.1"), 1812}, Endpoint{*IpAddress::parse("::1"), 1812}});
  REQUIRE_FALSE(t);
  CHECK(t.error().field == "radius.servers[1]");
}

// ike-up opens one EapRadiusRelay per eap-radius connection (IkeRunner, by connection
// name): its own socket, RADIUS client (Identifiers, retransmissions, fail-over) and
// servers. A relay whose server is silent holds up no other relay: the other's answer
// comes while the first still waits, and each answer names its own server.
TEST_CASE("EapRadiusRelay: one per connection, a silent server of one holds up no other") {
  UdpSocket silent = bound_socket();
  UdpSocket server = bound_socket();
  UdpSocket stranger = bound_socket();
  SeededRng rng(2);
  auto relay_for = [&](Endpoint at, const char* secret, const char* nas) {
    RadiusRelayConfig c;
    c.servers = {at};
    c.secrets.emplace_back(as_bytes(secret));
    c.timeout = 300ms;
    c.transmissions = 1;
    c.nas_identifier = nas;
    auto r = EapRadiusRelay::open(std::move(c), rng);
    REQUIRE(r);
    return std::move(*r);
  };
  auto a = relay_for(silent.local(), "s-a", "conn-a");
  auto b = relay_for(server.local(), "s-b", "conn-b");
  REQUIRE(a->fd() != b->fd());
  auto request = [](ike::BackendToken token) {
    ike::EapBackendRequest r;
    r.token = token;
    r.sa = token;
    r.identity = "alice";
    r.eap_message = {2, 0, 0, 10, 1, 'a', 'l', 'i', 'c', 'e'};
    r.local = *IpAddress::parse("192.0.2.1");
    r.remote = *IpAddress::parse("198.51.100.7");
    r.remote_port = 4500;
    return r;
  };
  std::thread answer(serve_one, std::ref(server), std::ref(stranger), std::string("s-b"));
  const TimePoint start = EventLoop::now();
  a->send(request(1), start);
  b->send(request(2), start);
  std::optional<ike::EapBackendAnswer> from_a, from_b;
  bool a_waiting_when_b_answered = false;
  while (!(from_a && from_b) && EventLoop::now() - start < 3s) {
    a->flush();
    b->flush();
    pollfd p[2] = {{a->fd(), POLLIN, 0}, {b->fd(), POLLIN, 0}};
    (void)::poll(p, 2, 10);
    const TimePoint now = EventLoop::now();
    if (p[0].revents & POLLIN) a->on_readable(now);
    if (p[1].revents & POLLIN) b->on_readable(now);
    for (EapRadiusRelay* r : {a.get(), b.get()})
      if (auto d = r->next_timeout(); d && *d <= now) r->on_timeout(now);
    if (auto x = a->poll_answer()) from_a = std::move(x);
    if (auto x = b->poll_answer()) {
      from_b = std::move(x);
      a_waiting_when_b_answered = !from_a;
    }
  }
  answer.join();
  REQUIRE(from_a);
  REQUIRE(from_b);
  CHECK(a_waiting_when_b_answered);
  CHECK(from_b->token == 2);
  CHECK(from_b->verdict == ike::EapBackendVerdict::reject);
  CHECK(from_b->detail == "Access-Reject from " + server.local().to_string());
  CHECK(from_a->token == 1);
  CHECK(from_a->verdict == ike::EapBackendVerdict::timeout);
  CHECK(from_a->detail ==
        "no answer from RADIUS server " + silent.local().to_string() + " after 1 transmissions");
  CHECK(a->stats().requests == 1);
  CHECK(a->stats().timeouts == 1);
  CHECK(b->stats().requests == 1);
  CHECK(b->stats().responses == 1);
  CHECK(b->stats().timeouts == 0);
  // The silent server got conn-a's request and nothing of conn-b's.
  std::array<uint8_t, 4096> buf;
  std::array<RecvSlot, 4> slots;
  for (auto& s : slots)
    s.buffer = buf;
  auto got = silent.recv_batch(std::span<RecvSlot>(slots.data(), 1));
  REQUIRE(got);
  REQUIRE(*got == 1);
  auto req = radius::parse_packet(slots[0].data());
  REQUIRE(req);
  CHECK(req->code == uint8_t(radius::Code::access_request));
  std::string nas;
  req->for_each([&](const radius::Attribute& at) {
    if (at.type == radius::attr::nas_identifier) nas.assign(at.value.begin(), at.value.end());
  });
  CHECK(nas == "conn-a");
}
