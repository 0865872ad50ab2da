// The socket thread's hand-off in a multi-core responder (io/engine_dispatcher.hpp,
// ike/init_screen.hpp, RFC 7296 2.6): engine 0 on this thread and one EngineWorker share
// an AdmissionState. Once two IKE SAs are half-open (cookie_threshold 2, counted across
// both engines), a flood of IKE_SA_INIT requests without a COOKIE from spoofed addresses
// is answered with N(COOKIE) by the dispatcher and reaches neither engine nor the
// worker's inbox; a legitimate initiator repeats its request with the COOKIE, which is
// handed to the engine that owns it and the IKE SA comes up. A worker whose inbox is
// full drops what is handed to it and counts it (handoff_full).
#include "crypto/system_rng.hpp"
#include "ike/admission_state.hpp"
#include "ike/shard.hpp"
#include "io/engine_dispatcher.hpp"
#include "io/ike_runner.hpp"
#include "psk_peer.hpp"
#include "wire/message.hpp"

#include <catch2/catch.hpp>
#include <chrono>
#include <mutex>
#include <thread>

using namespace ikekit;

namespace {

constexpr std::string_view kDispatchPsk = "ikekit-dispatch-test-psk-0123456789";

// A responder of two engines behind a dispatcher, as IkeRunner builds it.
struct Responder {
  crypto::SystemRng rng;
  std::mutex mu; // what the worker sent (filled on its thread, which stops before these go)
  std::vector<std::pair<ike::Transmit, Bytes>> worker_sent;
  ike::Config config;
  std::unique_ptr<ike::Engine> engine0;
  std::vector<std::unique_ptr<io::EngineWorker>> workers;
  std::unique_ptr<io::EngineDispatcher> dispatcher;

  explicit Responder(TimePoint now) {
    ike::PeerConfig p = test::psk_peer("gw", "10.0.0.2", "10.0.0.1", kDispatchPsk);
    p.remote_address.reset(); // any source address finds the connection
    p.remote_id.reset();
    config.peers.push_back(p);
    config.cookie_threshold = 2;
    config.half_open_limit_per_ip = 0; // the legitimate initiators share one address
    config.admission = std::make_shared<ike::AdmissionState>(rng, now);
    engine0 = std::make_unique<ike::Engine>(io::shard_config(config, 0, 2), rng, now);
    auto w = io::EngineWorker::start(
        io::shard_config(config, 1, 2), now,
        [this](const ike::Transmit& t, ByteView b, TimePoint) {
          std::lock_guard<std::mutex> l(mu);
          worker_sent.emplace_back(t, Bytes(b.begin(), b.end()));
        },
        nullptr);
    REQUIRE(w);
    workers.push_back(std::move(*w));
    dispatcher = std::make_unique<io::EngineDispatcher>(*engine0, workers, config, rng);
  }
  uint64_t received(uint32_t engine) {
    if (engine == 0) return engine0->stats().datagrams_received;
    return workers[0]->with_engine([](ike::Engine& e) { return e.stats().datagrams_received; });
  }
};

ike::Datagram to_responder(ByteView m, const char* from) {
  return ike::Datagram{ike::Endpoint{*IpAddress::parse("10.0.0.2"), 500},
                       ike::Endpoint{*IpAddress::parse(from), 500}, false, m};
}

// Runs initiator <-> responder until `done` or 10 s; COOKIE answers of the dispatcher
// go back to the initiator like any other.
template <class Done> void converse(ike::Engine& initiator, Responder& r, Done done) {
  Bytes buf(65536);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!done() && std::chrono::steady_clock::now() < deadline) {
    TimePoint now = std::chrono::steady_clock::now();
    std::vector<Bytes> back;
    while (auto t = initiator.poll_transmit(buf)) {
      ike::Datagram d = to_responder(ByteView(buf.data(), t->size), "10.0.0.1");
      if (r.dispatcher->dispatch(d, now) == io::EngineDispatcher::Route::answered)
        back.emplace_back(r.dispatcher->answer().begin(), r.dispatcher->answer().end());
    }
    r.dispatcher->kick_posted();
    Bytes out(65536);
    while (auto t = r.engine0->poll_transmit(out))
      back.emplace_back(out.begin(), out.begin() + long(t->size));
    {
      std::lock_guard<std::mutex> l(r.mu);
      for (auto& [t, b] : r.worker_sent)
        back.push_back(std::move(b));
      r.worker_sent.clear();
    }
    for (const Bytes& b : back)
      initiator.receive(ike::Datagram{ike::Endpoint{*IpAddress::parse("10.0.0.1"), 500},
                                      ike::Endpoint{*IpAddress::parse("10.0.0.2"), 500}, false,
                                      ByteView(b)},
                        now);
    if (auto t = initiator.next_timeout(); t && *t <= now) initiator.on_timeout(now);
    if (back.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

} // namespace

TEST_CASE("dispatcher: under COOKIE pressure a flood never reaches the engines; a COOKIE "
          "retry does") {
  TimePoint start = std::chrono::steady_clock::now();
  Responder r(start);
  crypto::SystemRng rng;
  ike::Config ic;
  ic.peers.push_back(test::psk_peer("home", "10.0.0.1", "10.0.0.2", kDispatchPsk));

  // Two half-open IKE SAs (their IKE_SA_INIT answered, no IKE_AUTH): the shared count
  // reaches the threshold whichever engines hold them.
  std::vector<Bytes> requests;
  ike::Engine opener(ic, rng, start);
  Bytes buf(65536);
  for (int i = 0; i < 2; ++i) {
    REQUIRE(opener.initiate("home", start));
    auto t = opener.poll_transmit(buf);
    REQUIRE(t);
    requests.emplace_back(buf.begin(), buf.begin() + long(t->size));
  }
  for (const Bytes& q : requests)
    CHECK(r.dispatcher->dispatch(to_responder(q, "10.0.0.1"), start) !=
          io::EngineDispatcher::Route::answered);
  r.dispatcher->kick_posted();
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (r.config.admission->half_open_total() < 2 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  REQUIRE(r.config.admission->half_open_total() == 2);
  const uint64_t before0 = r.received(0), before1 = r.received(1);

  // The flood: the first request with other SPIi, from 2,000 addresses of 10.200/16.
  constexpr int kFlood = 2000;
  Bytes flood = requests[0];
  for (int i = 0; i < kFlood; ++i) {
    store_be64(flood.data(), 0x1000 + uint64_t(i) * 0x0101010101ULL);
    std::string from = "10.200." + std::to_string(i / 250) + "." + std::to_string(i % 250 + 1);
    auto route = r.dispatcher->dispatch(to_responder(flood, from.c_str()), start);
    REQUIRE(route == io::EngineDispatcher::Route::answered);
    auto answer = wire::parse_message(r.dispatcher->answer());
    REQUIRE(answer);
    CHECK(answer->header.response());
    CHECK(answer->header.spi_i == load_be64(flood.data()));
    CHECK(answer->payloads.size() == 1); // HDR, N(COOKIE)
  }
  r.dispatcher->kick_posted();
  CHECK(r.received(0) == before0); // neither engine saw any of it
  CHECK(r.received(1) == before1);
  CHECK(r.workers[0]->inbox_drops() == 0);
  CHECK(r.config.admission->half_open_total() == 2);
  const ike::Stats& s = r.dispatcher->stats();
  CHECK(s.cookies_sent == kFlood);
  CHECK(s.datagrams_received == kFlood);
  CHECK(s.datagrams_sent == kFlood);
  CHECK(s.dropped_total() == 0);

  // A legitimate initiator: COOKIE from the dispatcher, the retry handed off, the SA up.
  ike::Engine initiator(ic, rng, start);
  REQUIRE(initiator.initiate("home", start));
  bool up = false;
  converse(initiator, r, [&] {
    while (auto e = initiator.poll_event())
      if (std::holds_alternative<ike::IkeSaUp>(*e)) up = true;
    return up;
  });
  CHECK(up);
  CHECK(r.dispatcher->stats().cookies_sent == kFlood + 1);
  CHECK(r.received(0) + r.received(1) > before0 + before1);
}

TEST_CASE("dispatcher: a full worker inbox drops and counts (handoff_full)") {
  TimePoint start = std::chrono::steady_clock::now();
  Responder r(start);
  // Messages for engine 1's SAs (SPIr's top byte 1 of 2), never kicked: the inbox fills.
  uint8_t h[28] = {};
  h[0] = 0x42;  // SPIi
  h[8] = 0x01;  // SPIr: engine 1
  h[17] = 0x20; // IKEv2
  h[18] = 37;   // INFORMATIONAL
  h[19] = 0x08; // from the original initiator
  store_be32(h + 24, 28);
  const size_t extra = 5;
  size_t posted = 0, dropped = 0;
  // Under the worker's engine mutex: a worker that wakes meanwhile (its start-up, a
  // timer) drains its inbox only under that mutex, so it cannot make room mid-test
  // (it did under ASan, where the thread starts late). A post() never takes it.
  r.workers[0]->with_engine([&](ike::Engine&) {
    for (size_t i = 0; i < io::EngineWorker::kInboxSlots + extra; ++i) {
      auto route = r.dispatcher->dispatch(to_responder(ByteView(h, 28), "10.0.0.1"), start);
      posted += route == io::EngineDispatcher::Route::worker;
      dropped += route == io::EngineDispatcher::Route::dropped;
    }
  });
  CHECK(posted == io::EngineWorker::kInboxSlots);
  CHECK(dropped == extra);
  CHECK(r.dispatcher->stats().dropped_for(ike::DropReason::handoff_full) == extra);
  CHECK(r.dispatcher->stats().datagrams_received == extra);
  r.dispatcher->kick_posted(); // the worker drains its inbox (and drops: no such SA)
}
