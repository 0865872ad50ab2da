// SA ownership across engine threads (ike/shard.hpp, io/engine_worker.hpp): two
// responder engines, each on its own EngineWorker thread, behind a dispatcher that routes
// by ike::message_shard as IkeRunner's receive thread does, and one initiator engine on
// this thread starting many IKE SAs at once. Every SA must come up, both engines must own
// some, every SA's responder SPI, Child SPIs and SaId must name its owner, and a
// retransmitted IKE_SA_INIT request must reach the engine that answered it (RFC 7296
// 2.1: the same response, from its cache).
#include "crypto/system_rng.hpp"
#include "ike/shard.hpp"
#include "io/engine_worker.hpp"
#include "ip_literal.hpp"
#include "psk_peer.hpp"

#include <catch2/catch.hpp>
#include <chrono>
#include <mutex>
#include <thread>

using namespace ikekit;
using ikekit::test::ip;

namespace {

constexpr std::string_view kShardPsk = "ikekit-shard-test-psk-0123456789";

struct Wire { // what the responders sent, for the initiator (filled on their threads)
  std::mutex mu;
  std::vector<std::vector<uint8_t>> to_initiator;
  std::vector<ike::Transmit> meta;
};

// A worker for `rc` whose engine's messages go onto `wire` for the initiator.
auto start_worker_onto(Wire& wire, const ike::Config& rc, TimePoint start) {
  return io::EngineWorker::start(
      rc, start,
      [&wire](const ike::Transmit& t, ByteView b, TimePoint) {
        std::lock_guard<std::mutex> l(wire.mu);
        wire.to_initiator.emplace_back(b.begin(), b.end());
        wire.meta.push_back(t);
      },
      nullptr);
}

} // namespace

TEST_CASE("shard: SPIs and SaIds name their engine; IKE_SA_INIT hashes SPIi") {
  for (uint32_t count : {1u, 2u, 3u, 7u, 64u})
    for (uint32_t index = 0; index < count; ++index)
      for (uint64_t r : {0ULL, ~0ULL, 0x0123456789abcdefULL, 0xff00000000000001ULL}) {
        ike::Shard s{index, count};
        CHECK(ike::ike_spi_shard(ike::shard_ike_spi(r, s), count) == index);
        CHECK(ike::child_spi_shard(ike::shard_child_spi(uint32_t(r), s), count) == index);
        CHECK((ike::shard_ike_spi(r, s) & 0x00FFFFFFFFFFFFFFULL) == (r & 0x00FFFFFFFFFFFFFFULL));
        uint64_t id = ike::first_sa_id(s) + 5 * count;
        CHECK(ike::sa_shard(id, count) == index);
      }
  CHECK(ike::shard_ike_spi(0x1234, ike::Shard{0, 1}) == 0x1234); // one engine: unchanged
  uint8_t h[28] = {};
  h[7] = 0x42;  // SPIi
  h[19] = 0x08; // Initiator flag, SPIr zero: an IKE_SA_INIT request
  uint32_t first = ike::message_shard(ByteView(h, 28), 4);
  CHECK(ike::message_shard(ByteView(h, 28), 4) == first); // a retransmission: the same
  h[8] = 0x03;                                            // SPIr of engine 3 of 4
  CHECK(ike::message_shard(ByteView(h, 28), 4) == 3);
  h[19] = 0x20; // a response from the original responder: ours is SPIi (top byte 0)
  CHECK(ike::message_shard(ByteView(h, 28), 4) == 0);
  CHECK(ike::message_shard(ByteView(h, 27), 4) == 0); // a runt: engine 0 drops it
}

TEST_CASE("engine workers: IKE SAs spread over two engine threads, each owned by one") {
  constexpr uint32_t kEngines = 2;
  constexpr int kSas = 24;
  Wire wire;
  TimePoint start = std::chrono::steady_clock::now();
  std::vector<std::unique_ptr<io::EngineWorker>> workers;
  for (uint32_t i = 0; i < kEngines; ++i) {
    ike::Config rc;
    rc.peers.push_back(test::psk_peer("gw", "10.0.0.2", "10.0.0.1", kShardPsk));
    rc.shard = ike::Shard{i, kEngines};
    rc.cookie_threshold = 1000;
    rc.half_open_limit_per_ip = 0; // every initiator here comes from one address
    auto w = start_worker_onto(wire, rc, start);
    REQUIRE(w);
    workers.push_back(std::move(*w));
  }
  crypto::SystemRng rng;
  ike::Config ic;
  ic.peers.push_back(test::psk_peer("home", "10.0.0.1", "10.0.0.2", kShardPsk));
  ike::Engine initiator(ic, rng, start);
  for (int i = 0; i < kSas; ++i)
    REQUIRE(initiator.initiate("home", start));

  std::vector<uint8_t> buf(65536);
  bool retransmitted = false; // the first IKE_SA_INIT request goes twice
  uint32_t first_owner = 0;
  size_t up = 0;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (up < size_t(kSas) && std::chrono::steady_clock::now() < deadline) {
    TimePoint now = std::chrono::steady_clock::now();
    while (auto t = initiator.poll_transmit(buf)) { // the dispatcher: by SPI only
      ByteView m(buf.data(), t->size);
      ike::Datagram d{t->remote, t->local, t->nat_t, m};
      uint32_t owner = ike::message_shard(m, kEngines);
      REQUIRE(workers[owner]->post(d));
      if (!retransmitted) {
        REQUIRE(workers[owner]->post(d));
        retransmitted = true;
        first_owner = owner;
      }
      workers[owner]->kick();
    }
    std::vector<std::vector<uint8_t>> got;
    std::vector<ike::Transmit> meta;
    {
      std::lock_guard<std::mutex> l(wire.mu);
      got.swap(wire.to_initiator);
      meta.swap(wire.meta);
    }
    for (size_t i = 0; i < got.size(); ++i) {
      ike::Datagram d{meta[i].remote, meta[i].local, meta[i].nat_t,
                      ByteView(got[i].data(), got[i].size())};
      initiator.receive(d, now);
    }
    while (auto e = initiator.poll_event())
      if (std::holds_alternative<ike::IkeSaUp>(*e)) ++up;
    if (auto t = initiator.next_timeout(); t && *t <= now) initiator.on_timeout(now);
    if (got.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  REQUIRE(up == size_t(kSas));

  size_t owned_total = 0;
  for (uint32_t i = 0; i < kEngines; ++i) {
    auto sas = workers[i]->with_engine([](ike::Engine& e) { return e.list_sas(); });
    CHECK(!sas.empty()); // both engines took handshakes
    for (const auto& sa : sas) {
      CHECK(sa.state == ike::IkeSaState::established);
      CHECK(ike::ike_spi_shard(sa.spi_r, kEngines) == i);
      CHECK(ike::sa_shard(sa.sa, kEngines) == i);
      for (const auto& c : sa.children)
        CHECK(ike::child_spi_shard(c.spi_in, kEngines) == i);
    }
    owned_total += sas.size();
    auto answered =
        workers[i]->with_engine([](ike::Engine& e) { return e.stats().retransmits_answered; });
    CHECK(answered == (i == first_owner ? 1u : 0u));
  }
  CHECK(owned_total == size_t(kSas)); // each SA on exactly one engine
}

namespace {

// Waits (up to 5 s, without waking the worker) until its engine has made `n` spare key
// pairs (ike/spare_key.cpp).
bool spares_made(io::EngineWorker& w, uint64_t n) {
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (w.engine_stats().spare_key_exchanges_made < n) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

} // namespace

// At concurrency 1 every message is a lone one, handled on the socket thread while the
// worker sleeps (EngineWorker::receive_if_idle). An IKE_SA_INIT handled there takes the
// worker's spare key pair; the worker must then wake to make the next, or the next
// handshake of its engine makes its own (issue 17: 4 spares made, 3 used by the 7th).
TEST_CASE("engine workers: after a lone IKE_SA_INIT takes the spare key pair, the worker makes "
          "the next") {
  constexpr uint64_t kHandshakes = 5;
  Wire wire;
  TimePoint start = std::chrono::steady_clock::now();
  ike::Config rc;
  rc.peers.push_back(test::psk_peer("gw", "10.0.0.2", "10.0.0.1", kShardPsk));
  auto w = start_worker_onto(wire, rc, start);
  REQUIRE(w);
  io::EngineWorker& worker = **w;
  crypto::SystemRng rng;
  ike::Config ic;
  ic.peers.push_back(test::psk_peer("home", "10.0.0.1", "10.0.0.2", kShardPsk));
  ike::Engine initiator(ic, rng, start);
  std::vector<uint8_t> buf(65536);
  for (uint64_t k = 1; k <= kHandshakes; ++k) {
    REQUIRE(spares_made(worker, k)); // made by the worker while it was idle
    TimePoint now = std::chrono::steady_clock::now();
    REQUIRE(initiator.initiate("home", now));
    bool up = false;
    for (int round = 0; round < 1000 && !up; ++round) {
      while (auto t = initiator.poll_transmit(buf)) {
        ike::Datagram d{t->remote, t->local, t->nat_t, ByteView(buf.data(), t->size)};
        while (!worker.receive_if_idle(d, now)) // only ever here, as a lone message is
          std::this_thread::sleep_for(std::chrono::microseconds(100));
      }
      std::lock_guard<std::mutex> l(wire.mu);
      for (size_t i = 0; i < wire.to_initiator.size(); ++i)
        initiator.receive(ike::Datagram{wire.meta[i].remote, wire.meta[i].local, wire.meta[i].nat_t,
                                        ByteView(wire.to_initiator[i])},
                          now);
      wire.to_initiator.clear();
      wire.meta.clear();
      while (auto e = initiator.poll_event())
        up = up || std::holds_alternative<ike::IkeSaUp>(*e);
    }
    REQUIRE(up);
  }
  ike::Stats s = worker.engine_stats();
  CHECK(s.ike_sas_established == kHandshakes);
  CHECK(s.spare_key_exchanges_used == kHandshakes); // every KEr was made ahead
}
