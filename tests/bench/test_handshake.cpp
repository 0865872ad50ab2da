// bench/engine_pair, bench/handshake and bench/handshake_inproc: two engines in one
// process complete IKE_SA_INIT + IKE_AUTH, option checks name the flag, and a short
// in-process run gives a complete, sane result. No timing assertions.
//
//   initiator                         responder
//   HDR, SAi1, KEi, Ni          -->
//                               <--   HDR, SAr1, KEr, Nr
//   HDR, SK {IDi, AUTH, SAi2, TSi, TSr}  -->
//                               <--   HDR, SK {IDr, AUTH, SAr2, TSi, TSr}
#include "bench/engine_pair.hpp"
#include "bench/handshake.hpp"
#include "crypto/system_rng.hpp"

#include <catch2/catch.hpp>

using namespace ikekit;
using namespace ikekit::bench;
using json::Json;

namespace {

// Pumps until the initiator reports ChildSaUp (or Failure) for `sa`.
std::optional<PairEventKind> run_one(EnginePair& pair, ike::SaId sa) {
  for (int i = 0; i < 20; ++i) {
    bool moved = pair.pump(steady_now());
    for (const auto& e : pair.events())
      if (e.sa == sa && e.kind != PairEventKind::ike_sa_down) return e.kind;
    if (!moved) break;
  }
  return std::nullopt;
}

std::string field_of(const HandshakeOptions& o) {
  auto r = check_handshake_options(o);
  if (r) return "";
  CHECK(r.error().code == Errc::usage);
  return r.error().field;
}

} // namespace

TEST_CASE("engine pair: a PSK handshake completes in four datagrams") {
  HandshakeOptions o;
  auto pc = make_pair_config(o);
  REQUIRE(pc);
  CHECK(pc->auth == "psk");
  CHECK(pc->ke->keyword == "x25519");
  CHECK_FALSE(pc->initiator.peers.front().send_initial_contact);
  crypto::SystemRng rng;
  EnginePair pair(*pc, rng, steady_now());
  auto sa = pair.initiate(steady_now());
  REQUIRE(sa);
  CHECK(run_one(pair, *sa) == PairEventKind::child_sa_up);
  const auto& c = pair.counters();
  CHECK(c.datagrams_i2r == 2);
  CHECK(c.datagrams_r2i == 2);
  CHECK(c.bytes_i2r > 200);
  CHECK(c.bytes_r2i > 200);
  CHECK(c.responder_child_sas == 1);
  CHECK(c.responder_failures == 0);
  CHECK(c.cpu_s_initiator > 0);
  CHECK(c.cpu_s_responder > 0);
  CHECK(pair.initiator().stats().child_sas_established == 1);

  // A second IKE SA of the same connection: the first one stays (no INITIAL_CONTACT).
  auto sa2 = pair.initiate(steady_now());
  REQUIRE(sa2);
  CHECK(run_one(pair, *sa2) == PairEventKind::child_sa_up);
  CHECK(pair.responder().list_sas().size() == 2);

  // reset() starts over with empty engines and keeps counting.
  pair.reset(steady_now());
  CHECK(pair.responder().list_sas().empty());
  CHECK(pair.counters().datagrams_i2r == 4);
}

TEST_CASE("engine pair: certificate handshakes with the built-in chains") {
  for (auto auth : {HandshakeAuth::ecdsa, HandshakeAuth::rsa, HandshakeAuth::ed25519}) {
    HandshakeOptions o;
    o.auth = auth;
    auto pc = make_pair_config(o);
    REQUIRE(pc);
    INFO(pc->auth);
    CHECK(pc->initiator.peers.front().local_auth == ike::AuthMethodKind::pubkey);
    crypto::SystemRng rng;
    EnginePair pair(*pc, rng, steady_now());
    auto sa = pair.initiate(steady_now());
    REQUIRE(sa);
    CHECK(run_one(pair, *sa) == PairEventKind::child_sa_up);
    CHECK(pair.counters().responder_failures == 0);
  }
}

TEST_CASE("engine pair: proposals the responder does not share fail, not hang") {
  HandshakeOptions o;
  auto pc = make_pair_config(o);
  REQUIRE(pc);
  pc->responder.peers.front().ike_proposals = *ike::parse_ike_proposals("aes128-sha256-modp2048");
  crypto::SystemRng rng;
  EnginePair pair(*pc, rng, steady_now());
  auto sa = pair.initiate(steady_now());
  REQUIRE(sa);
  CHECK(run_one(pair, *sa) == PairEventKind::failure);
}

TEST_CASE("handshake options: each bad value names its flag") {
  HandshakeOptions o;
  CHECK(field_of(o) == "");
  o.mode = "tcp";
  CHECK(field_of(o) == "--mode");
  o = {};
  o.ike_proposal = "aes999-prfsha256-x25519";
  CHECK(field_of(o) == "--ike-proposal");
  o.ike_proposal = "aes256gcm16-prfsha256"; // no KE group
  CHECK(field_of(o) == "--ike-proposal");
  o = {};
  o.esp_proposal = "nope";
  CHECK(field_of(o) == "--esp-proposal");
  o = {};
  o.duration = Duration(0);
  CHECK(field_of(o) == "--duration");
  o.count = 5;
  CHECK(field_of(o) == "");
  o = {};
  o.target = "127.0.0.1";
  CHECK(field_of(o) == "--target"); // inproc has no target
  o.mode = "udp";
  CHECK(field_of(o) == "");
  for (const char* t : {"[::1]:500", "192.0.2.1:4500", "::1"}) {
    o.target = t;
    CHECK(field_of(o) == "");
  }
  for (const char* t : {"host.example", "127.0.0.1:0", "127.0.0.1:70000", "[::1", "1.2.3.4:x"}) {
    o.target = t;
    INFO(t);
    CHECK(field_of(o) == "--target");
  }
  o = {};
  o.peer = "libreswan";
  CHECK(field_of(o) == "--peer");
  o.peer = "strongswan";
  CHECK(field_of(o) == "--peer"); // inproc runs two ikekit engines
  o.mode = "udp";
  CHECK(field_of(o) == "");
  o = {};
  o.concurrency = 1'000'000;
  CHECK(field_of(o) == "--concurrency");
  auto e = make_pair_config([] {
    HandshakeOptions h;
    h.esp_proposal = "x";
    return h;
  }());
  REQUIRE_FALSE(e);
  CHECK(e.error().field == "--esp-proposal");
}

TEST_CASE("handshake inproc: a short run gives a complete, sane result") {
  HandshakeOptions o;
  o.count = 30;
  o.concurrency = 4;
  size_t progress_calls = 0;
  HandshakeResult r = run_handshake_inproc(o, [&](size_t, size_t) { ++progress_calls; });
  CHECK_FALSE(r.error);
  CHECK(r.completed == 30);
  CHECK(r.failed == 0);
  CHECK(r.latency_ms.size() == 30);
  CHECK(progress_calls >= 1);
  Json j = handshake_result_to_json(r);
  CHECK(j["name"] == "handshake_inproc");
  CHECK(j["params"]["count"] == 30);
  CHECK(j["params"]["concurrency"] == 4);
  CHECK(j["params"]["auth"] == "psk");
  CHECK(j["error"].is_null());
  CHECK(j["handshakes_per_s"].get<double>() > 0);
  const Json& l = j["latency_ms"];
  CHECK(l["p50"].get<double>() > 0);
  CHECK(l["p50"].get<double>() <= l["p90"].get<double>());
  CHECK(l["p90"].get<double>() <= l["p99"].get<double>());
  CHECK(l["p99"].get<double>() <= l["max"].get<double>());
  CHECK(j["cpu_ms_per_handshake"]["initiator"].get<double>() > 0);
  CHECK(j["cpu_ms_per_handshake"]["responder"].get<double>() > 0);
  CHECK(j["cpu_ms_per_handshake"]["total"].get<double>() > 0);
  CHECK(j["messages_per_handshake"] == 4.0);
  CHECK(j["bytes_per_handshake"].get<double>() > 400);
  CHECK(j["bytes_per_s"].get<double>() > 0);
  CHECK(j["completed"] == 30);
  CHECK(j["failed"] == 0);
  CHECK(j["kex_bound_handshakes_per_s"].get<double>() > 0);
  CHECK(j["kex"]["group"] == "x25519");
  CHECK(j["kex"]["rounds"] == 6);
  CHECK(j["ratio"]["vs_kex_bound"].get<double>() > 0);
  CHECK(j["ratio"]["vs_kex_bound_cpu"].get<double>() > 0);
  CHECK(j["kex"]["cpu_ms_per_handshake"].get<double>() > 0);
  CHECK(j["wire"]["datagrams_i2r"] == 60);
  CHECK_FALSE(j.contains("signature"));
}

TEST_CASE("handshake inproc: ecdsa reports the signature cost and the crypto bound") {
  HandshakeOptions o;
  o.count = 5;
  o.auth = HandshakeAuth::ecdsa;
  HandshakeResult r = run_handshake_inproc(o, nullptr);
  CHECK_FALSE(r.error);
  CHECK(r.completed == 5);
  Json j = handshake_result_to_json(r);
  CHECK(j["params"]["auth"] == "ecdsa");
  CHECK(j["signature"]["key"] == "ecdsa-p256");
  CHECK(j["signature"]["sign_ms"].get<double>() > 0);
  CHECK(j["signature"]["verify_ms"].get<double>() > 0);
  CHECK(j["crypto_bound_handshakes_per_s"].get<double>() > 0);
  CHECK(j["crypto_bound_handshakes_per_s"].get<double>() <
        j["kex_bound_handshakes_per_s"].get<double>());
  CHECK(j["ratio"]["vs_crypto_bound"].get<double>() > 0);
}

TEST_CASE("handshake result JSON: an error nulls the numbers and names the field") {
  HandshakeResult r;
  r.name = "handshake_udp";
  r.error = make_error(Errc::unsupported, "--mode", "not here");
  Json j = handshake_result_to_json(r);
  CHECK(j["handshakes_per_s"].is_null());
  CHECK(j["latency_ms"]["p50"].is_null());
  CHECK(j["cpu_ms_per_handshake"]["initiator"].is_null());
  CHECK(j["error"]["code"] == "unsupported");
  CHECK(j["error"]["field"] == "--mode");

  HandshakeOptions o;
  o.esp_proposal = "bogus";
  HandshakeResult bad = run_handshake_inproc(o, nullptr);
  REQUIRE(bad.error);
  CHECK(bad.error->field == "--esp-proposal");
  CHECK(bad.completed == 0);
}
