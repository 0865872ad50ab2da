// ControlService and Session against two real engines on the simulated network of the
// engine tests (tests/engine/sim.hpp): commands, their errors, monitor and --wait.
#include "base/hex.hpp"
#include "ctl/session.hpp"
#include "sim.hpp"

#include "json/engine_views.hpp"
#include <catch2/catch.hpp>

using namespace ikekit;
using namespace ikekit::ctl;
using namespace ikekit::ike::test;

namespace {

// Each Session line as JSON.
std::vector<Json> drain(Session& s) {
  std::vector<Json> out;
  std::string_view o = s.output();
  size_t start = 0;
  for (size_t i = 0; i < o.size(); ++i)
    if (o[i] == '\n') {
      out.push_back(Json::parse(o.substr(start, i - start)));
      start = i + 1;
    }
  s.consume(start);
  return out;
}

// A minimal stand-in for ike-up's event JSON (lib/json is above this layer).
Json event_json(const ike::Event& e) {
  return std::visit(
      [](const auto& v) -> Json {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, ike::SaKeys>)
          return nullptr;
        else if constexpr (std::is_same_v<T, ike::IkeSaUp>)
          return {{"type", "ike_sa_up"}, {"sa", v.sa}};
        else if constexpr (std::is_same_v<T, ike::ChildSaUp>)
          return {{"type", "child_sa_up"}, {"sa", v.sa}};
        else if constexpr (std::is_same_v<T, ike::ChildSaDown>)
          return {{"type", "child_sa_down"}, {"sa", v.sa}};
        else if constexpr (std::is_same_v<T, ike::IkeSaDown>)
          return {{"type", "ike_sa_down"}, {"sa", v.sa}};
        else if constexpr (std::is_same_v<T, ike::Failure>)
          return {{"type", "failure"}, {"sa", v.sa}};
        else if constexpr (std::is_same_v<T, ike::ChildSaRekeyed>)
          return {{"type", "child_sa_rekeyed"}, {"sa", v.sa}};
        else if constexpr (std::is_same_v<T, ike::IkeSaRekeyed>)
          return {{"type", "ike_sa_rekeyed"}, {"sa", v.sa}};
        else
          return {{"type", "other"}};
      },
      e);
}

struct Fixture {
  Pair p = Pair::psk();
  ControlService svc{*p.left->engine,
                     ServiceInfo{"ike-up test", "none", "2026-01-01T00:00:00Z", p.net.now, 1234}};
  Session s{svc};
  size_t seen = 0; // left events already published

  Json ask(const std::string& line) {
    s.receive(line + "\n", p.net.now);
    auto lines = drain(s);
    REQUIRE(lines.size() >= 1);
    return lines.back();
  }
  // Runs the network and publishes left's new events to the session.
  std::vector<Json> run_until(const std::function<bool()>& done) {
    p.net.run_until(
        [&] {
          publish();
          return done();
        },
        std::chrono::seconds(600));
    publish();
    return drain(s);
  }
  void publish() {
    for (; seen < p.left->events.size(); ++seen)
      s.publish(p.left->events[seen], event_json(p.left->events[seen]));
  }
};

} // namespace

TEST_CASE("a new session starts with the hello line", "[ctl][session]") {
  Fixture f;
  auto lines = drain(f.s);
  REQUIRE(lines.size() == 1);
  CHECK(lines[0]["type"] == "hello");
  CHECK(lines[0]["schema"] == "ikekit.ctl/1");
  CHECK(lines[0]["pid"] == 1234);
}

TEST_CASE("status reports version, uptime, listening addresses and counters", "[ctl][service]") {
  Fixture f;
  drain(f.s);
  f.p.net.now += std::chrono::seconds(5);
  auto r = f.ask(R"({"id":1,"command":"status"})");
  CHECK(r["ok"] == true);
  auto& s = r["result"];
  CHECK(s["version"] == "ike-up test");
  CHECK(s["uptime_s"] == Approx(5.0));
  CHECK(s["listening"] == Json::array({"10.0.0.1:500", "10.0.0.1:4500"}));
  CHECK(s["counters"]["ike_messages_in"] == 0);
  CHECK(s["counters"]["dropped"].contains("malformed"));
  CHECK(s["ike_sas"]["established"] == 0);
  CHECK(s["radius"] == Json::object()); // no eap-radius connection
  f.svc.set_radius_status([] { return Json{{"home", {{"failovers", 1}}}}; });
  CHECK(f.ask(R"({"id":2,"command":"status"})")["result"]["radius"]["home"]["failovers"] == 1);
  CHECK(s.contains("tcp"));
  CHECK(s["tcp"].is_null()); // no IKE over TCP (RFC 9329)
  f.svc.set_tcp_status([] { return Json{{"reestablished", 2}}; });
  CHECK(f.ask(R"({"id":3,"command":"status"})")["result"]["tcp"]["reestablished"] == 2);
  CHECK(s["roaming"].is_null()); // no route watch
  f.svc.set_roaming_status([] { return Json{{"route_lookups", 3}}; });
  CHECK(f.ask(R"({"id":4,"command":"status"})")["result"]["roaming"]["route_lookups"] == 3);
}

TEST_CASE("list-conns shows settings but never the PSK", "[ctl][service]") {
  Fixture f;
  drain(f.s);
  auto r = f.ask(R"({"id":1,"command":"list-conns"})");
  auto& c = r["result"]["connections"][0];
  CHECK(c["name"] == "home");
  CHECK(c["remote"] == "10.0.0.2:500");
  CHECK(c["ike_proposals"][0] == "aes256gcm16-prfsha256-ecp256");
  CHECK(c["child"]["esp_proposals"][0].get<std::string>().rfind("aes256gcm16", 0) == 0);
  CHECK(c["psk_set"] == true);
  CHECK(r.dump().find("ikekit-test-psk") == std::string::npos);
  CHECK(r.dump().find(to_hex(as_bytes(std::string_view("ikekit-test-psk")))) == std::string::npos);
}

// An EAP server's remote_auth names the method it runs: eap-mschapv2 against local
// users, eap-radius when EAP is relayed to RADIUS (RFC 3579), whichever the client runs.
TEST_CASE("list-conns: remote_auth of an EAP server names its backend", "[ctl][service]") {
  ike::PeerConfig p = psk_peer("rw", "10.0.0.2", "10.0.0.1");
  p.remote_auth = ike::AuthMethodKind::eap_mschapv2;
  p.eap_backend = ike::relay_backend();
  CHECK(json::connection_json(p)["remote_auth"] == "eap-radius");
  p.eap_backend = ike::local_mschapv2_backend([](std::string_view) { return std::nullopt; });
  CHECK(json::connection_json(p)["remote_auth"] == "eap-mschapv2");
  p.eap_backend.reset(); // an EAP client's view of itself is unchanged
  p.local_auth = ike::AuthMethodKind::eap_mschapv2;
  p.remote_auth = ike::AuthMethodKind::pubkey;
  CHECK(json::connection_json(p)["local_auth"] == "eap-mschapv2");
  CHECK(json::connection_json(p)["remote_auth"] == "pubkey");
}

TEST_CASE("unknown commands, missing and unknown arguments are error responses", "[ctl][service]") {
  Fixture f;
  drain(f.s);
  struct Case {
    const char* line;
    const char* code;
    const char* field;
  } cases[] = {
      {R"({"id":1,"command":"explode"})", "usage", "command"},
      {R"({"id":2,"command":"initiate"})", "usage", "args.name"},
      {R"({"id":3,"command":"initiate","args":{"name":"nope"}})", "not_found", "args.name"},
      {R"({"id":4,"command":"initiate","args":{"name":"home","child":"other"}})", "not_found",
       "args.child"},
      {R"({"id":5,"command":"terminate","args":{}})", "usage", "args.ike"},
      {R"({"id":6,"command":"terminate","args":{"ike":"home","child":"x"}})", "usage", "args.ike"},
      {R"({"id":7,"command":"terminate","args":{"ike":"home"}})", "not_found", "args.ike"},
      {R"({"id":8,"command":"rekey","args":{"child":"deadbeef"}})", "not_found", "args.child"},
      {R"({"id":9,"command":"status","args":{"verbose":true}})", "usage", "args.verbose"},
      {R"({"id":10,"command":"initiate","args":{"name":"home","wait":"yes"}})", "usage",
       "args.wait"},
      {R"({"id":11,"command":"unload","args":{"name":"nope"}})", "not_found", "args.name"},
      {R"({"id":12,"command":"load","args":{"config":"/x.json"}})", "unsupported", "command"},
      {R"({"id":14,"command":"unload","args":{}})", "usage", "args.name"},
      {R"({"id":15,"command":"kill-switch","args":{"state":"on"}})", "usage", "args.state"},
      {R"({"id":16,"command":"kill-switch","args":{"state":"off"}})", "not_found", "kill_switch"},
  };
  for (const auto& c : cases) {
    INFO(c.line);
    auto r = f.ask(c.line);
    CHECK(r["ok"] == false);
    CHECK(r["error"]["code"] == c.code);
    CHECK(r["error"]["field"] == c.field);
  }
  // Malformed JSON and oversized lines are answered too, and the session goes on.
  auto bad = f.ask("{oops");
  CHECK(bad["error"]["field"] == "line");
  auto big = f.ask(std::string(kMaxLineBytes + 10, ' '));
  CHECK(big["error"]["code"] == "bad_length");
  CHECK(f.ask(R"({"id":13,"command":"status"})")["ok"] == true);
}

TEST_CASE("initiate --wait streams the events and ends with done ok; list-sas matches",
          "[ctl][session]") {
  Fixture f;
  drain(f.s);
  f.s.receive(R"({"id":1,"command":"initiate","args":{"name":"home","wait":true}})"
              "\n",
              f.p.net.now);
  auto resp = drain(f.s);
  REQUIRE(resp.size() == 1);
  CHECK(resp[0]["ok"] == true);
  ike::SaId sa = resp[0]["result"]["sa"];
  CHECK(f.s.waits() == 1);
  auto lines = f.run_until([&] { return f.p.both_up(); });
  REQUIRE(lines.size() >= 3);
  CHECK(lines[0]["type"] == "event");
  CHECK(lines[0]["event"]["type"] == "ike_sa_up");
  CHECK(lines.back()["type"] == "done");
  CHECK(lines.back()["ok"] == true);
  CHECK(lines.back()["id"] == 1);
  CHECK(f.s.waits() == 0);

  auto list = f.ask(R"({"id":2,"command":"list-sas"})");
  auto& sas = list["result"]["ike_sas"];
  REQUIRE(sas.size() == 1);
  auto up = f.p.left->all<ike::IkeSaUp>().at(0);
  auto child = f.p.left->all<ike::ChildSaUp>().at(0);
  CHECK(sas[0]["sa"] == sa);
  CHECK(sas[0]["state"] == "established");
  CHECK(sas[0]["eap_method"].is_null()); // PSK: no EAP
  CHECK(sas[0]["eap_identity"].is_null());
  CHECK(sas[0]["spi_i"] == to_hex_u64(up.spi_i));
  CHECK(sas[0]["spi_r"] == to_hex_u64(up.spi_r));
  CHECK(sas[0]["children"][0]["spi_in"] == to_hex_u32(child.spi_in));
  CHECK(sas[0]["children"][0]["spi_out"] == to_hex_u32(child.spi_out));
  // Filtered by name, by either SPI, and nothing for an unknown name.
  CHECK(
      f.ask(R"({"id":3,"command":"list-sas","args":{"ike":"home"}})")["result"]["ike_sas"].size() ==
      1);
  CHECK(f.ask(R"({"id":4,"command":"list-sas","args":{"ike":")" + to_hex_u64(up.spi_r) +
              R"("}})")["result"]["ike_sas"]
            .size() == 1);
  CHECK(
      f.ask(R"({"id":5,"command":"list-sas","args":{"ike":"zzz"}})")["result"]["ike_sas"].empty());

  auto st = f.ask(R"({"id":6,"command":"status"})");
  CHECK(st["result"]["ike_sas"]["established"] == 1);
  CHECK(st["result"]["child_sas"] == 1);
  CHECK(st["result"]["counters"]["ike_messages_out"] == 2);
}

TEST_CASE("monitor streams every event; terminate --ike by SPI deletes on both ends",
          "[ctl][session]") {
  Fixture f;
  Session mon{f.svc};
  drain(f.s);
  drain(mon);
  mon.receive(R"({"id":"m","command":"monitor"})"
              "\n",
              f.p.net.now);
  CHECK(drain(mon)[0]["result"]["subscribed"] == true);
  CHECK(mon.monitoring());
  f.p.initiate();
  f.p.net.run_until([&] { return f.p.both_up(); });
  for (auto& e : f.p.left->events)
    mon.publish(e, event_json(e));
  f.seen = f.p.left->events.size();
  auto evs = drain(mon);
  REQUIRE(evs.size() == 2); // ike_sa_up, child_sa_up (no keys)
  CHECK(evs[0]["id"] == "m");
  CHECK(evs[1]["event"]["type"] == "child_sa_up");

  auto up = f.p.left->all<ike::IkeSaUp>().at(0);
  // The last datagram left sends: its Delete request (RFC 7296 1.4.1).
  Bytes delete_request;
  ike::Endpoint delete_from, delete_to;
  f.p.net.tap = [&](Bytes& d, const ike::Transmit& t) {
    if (t.local.address == f.p.left->address) {
      delete_request = d;
      delete_from = t.local;
      delete_to = t.remote;
    }
    return true;
  };
  auto r = f.ask(R"({"id":1,"command":"terminate","args":{"ike":")" + to_hex_u64(up.spi_i) +
                 R"(","wait":true}})");
  CHECK(r["ok"] == true);
  CHECK(r["result"]["targets"][0]["sa"] == up.sa);
  auto lines = f.run_until([&] {
    return f.p.right->count<ike::IkeSaDown>() == 1 && f.p.left->count<ike::IkeSaDown>() == 1;
  });
  REQUIRE_FALSE(lines.empty());
  CHECK(lines.back()["type"] == "done");
  CHECK(lines.back()["ok"] == true);
  CHECK(f.ask(R"({"id":2,"command":"list-sas"})")["result"]["ike_sas"].empty());
  // The peer lists the SA no more (Engine::list_sas leaves dead SAs out) but keeps it
  // briefly to answer a retransmitted Delete (RFC 7296 2.1) instead of dropping it.
  CHECK(f.p.right->engine->list_sas().empty());
  REQUIRE_FALSE(delete_request.empty());
  const uint64_t answered = f.p.right->engine->stats().retransmits_answered;
  f.p.right->engine->receive(ike::Datagram{delete_to, delete_from, false, delete_request},
                             f.p.net.now);
  CHECK(f.p.right->engine->stats().retransmits_answered == answered + 1);
  // Briefly: once the retransmission span is over the SA is gone, nothing is answered.
  f.p.net.run_for(std::chrono::hours(1));
  f.p.right->engine->receive(ike::Datagram{delete_to, delete_from, false, delete_request},
                             f.p.net.now);
  CHECK(f.p.right->engine->stats().retransmits_answered == answered + 1);
}

TEST_CASE("terminate --child by name deletes only the Child SA", "[ctl][session]") {
  Fixture f;
  drain(f.s);
  f.p.initiate();
  f.p.net.run_until([&] { return f.p.both_up(); });
  f.seen = f.p.left->events.size();
  auto r = f.ask(R"({"id":1,"command":"terminate","args":{"child":"child","wait":true}})");
  REQUIRE(r["ok"] == true);
  auto lines = f.run_until([&] { return f.s.waits() == 0; });
  CHECK(f.p.right->count<ike::ChildSaDown>() == 1);
  REQUIRE_FALSE(lines.empty());
  CHECK(lines.back()["ok"] == true);
  auto sas = f.ask(R"({"id":2,"command":"list-sas"})")["result"]["ike_sas"];
  REQUIRE(sas.size() == 1);
  CHECK(sas[0]["children"].empty());
}

TEST_CASE("initiate --wait against a silent peer ends with done false and the evidence",
          "[ctl][session]") {
  Fixture f;
  drain(f.s);
  f.p.right->silent = true;
  f.ask(R"({"id":1,"command":"initiate","args":{"name":"home","wait":true}})");
  auto lines = f.run_until([&] { return f.s.waits() == 0; });
  REQUIRE_FALSE(lines.empty());
  auto& done = lines.back();
  CHECK(done["type"] == "done");
  CHECK(done["ok"] == false);
  CHECK(done["event"]["type"] == "failure");
  CHECK(done["error"]["code"] == "timeout");
}

TEST_CASE("rekey --child --wait ends when the engine reports the new SPIs", "[ctl][session]") {
  Fixture f;
  drain(f.s);
  f.p.initiate();
  f.p.net.run_until([&] { return f.p.both_up(); });
  f.seen = f.p.left->events.size();
  auto r = f.ask(R"({"id":1,"command":"rekey","args":{"child":"child","wait":true}})");
  REQUIRE(r["ok"] == true);
  auto lines = f.run_until([&] { return f.s.waits() == 0; });
  REQUIRE_FALSE(lines.empty());
  CHECK(lines.back()["type"] == "done");
  CHECK(lines.back()["ok"] == true);
  REQUIRE(f.p.left->count<ike::ChildSaRekeyed>() == 1);
  CHECK(f.p.left->count<ike::Failure>() == 0);
  auto rekeyed = f.p.left->all<ike::ChildSaRekeyed>().at(0);
  CHECK(rekeyed.new_spi_in != rekeyed.old_spi_in);
  CHECK(rekeyed.new_spi_out != rekeyed.old_spi_out);
  CHECK(f.p.right->count<ike::ChildSaRekeyed>() == 1);
}

TEST_CASE("load initiates initiator connections and only adds the others", "[ctl][service]") {
  Fixture f;
  drain(f.s);
  f.svc.set_loader([&](const std::string& path) -> Result<LoadedConnections> {
    if (path == "/missing.json")
      return make_error(Errc::usage, "--config", "\"/missing.json\": cannot be read");
    LoadedConnections l;
    l.peers.push_back(psk_peer("office", "10.0.0.1", "10.0.0.2"));
    if (path == "/initiator.json") l.initiate.push_back("office");
    return l;
  });
  auto miss = f.ask(R"({"id":1,"command":"load","args":{"config":"/missing.json"}})");
  CHECK(miss["error"]["field"] == "--config");
  CHECK(f.svc.execute(Request{1, "list-conns", Json::object()}, f.p.net.now)
            .result->at("connections")
            .size() == 1);
  auto resp = f.ask(R"({"id":2,"command":"load","args":{"config":"/responder.json"}})");
  REQUIRE(resp["ok"] == true);
  CHECK(resp["result"]["loaded"][0]["name"] == "office");
  CHECK(resp["result"]["loaded"][0]["initiated"] == false);
  CHECK(resp["result"]["loaded"][0]["sa"].is_null());
  CHECK(f.p.left->engine->list_sas().empty()); // added, not started
  CHECK(f.ask(R"({"id":3,"command":"list-conns"})")["result"]["connections"].size() == 2);
  auto ok = f.ask(R"({"id":4,"command":"load","args":{"config":"/initiator.json"}})");
  REQUIRE(ok["ok"] == true);
  CHECK(ok["result"]["loaded"][0]["replaced"] == true);
  CHECK(ok["result"]["loaded"][0]["initiated"] == true);
  CHECK(ok["result"]["loaded"][0]["sa"].is_number());
  CHECK(f.ask(R"({"id":5,"command":"list-conns"})")["result"]["connections"].size() == 2);
}

TEST_CASE("a responder connection loaded at run time is accepted from then on", "[ctl][service]") {
  // The right engine starts with no connection: it refuses the left's IKE_SA_INIT.
  Pair p(config_with(psk_peer("home", "10.0.0.1", "10.0.0.2")), ike::Config{});
  ControlService right{*p.right->engine, ServiceInfo{"ike-up test", "none", "", p.net.now, 1}};
  right.set_loader([](const std::string&) -> Result<LoadedConnections> {
    LoadedConnections l;
    l.peers.push_back(psk_peer("gw", "10.0.0.2", "10.0.0.1")); // role responder: not in `initiate`
    return l;
  });
  p.initiate();
  p.net.run_until([&] { return p.left->count<ike::Failure>() >= 1; });
  REQUIRE(p.left->count<ike::Failure>() == 1);
  CHECK(p.right->count<ike::IkeSaUp>() == 0);

  auto r = right.execute(Request{1, "load", Json{{"config", "/gw.json"}}}, p.net.now);
  REQUIRE(r.result);
  CHECK(r.result->at("loaded")[0]["initiated"] == false);
  CHECK(p.right->engine->config().peers.size() == 1);
  p.initiate();
  CHECK(p.net.run_until([&] { return p.both_up(); }));
  auto sas = right.execute(Request{2, "list-sas", Json::object()}, p.net.now);
  REQUIRE(sas.result);
  CHECK(sas.result->at("ike_sas")[0]["conn"] == "gw");
  CHECK(sas.result->at("ike_sas")[0]["initiator"] == false);
}

TEST_CASE("unload deletes the connection's IKE SAs on both ends and removes it", "[ctl][session]") {
  Fixture f;
  drain(f.s);
  f.p.initiate();
  f.p.net.run_until([&] { return f.p.both_up(); });
  f.seen = f.p.left->events.size();
  auto up = f.p.left->all<ike::IkeSaUp>().at(0);
  auto r = f.ask(R"({"id":1,"command":"unload","args":{"name":"home","wait":true}})");
  REQUIRE(r["ok"] == true);
  CHECK(r["result"]["name"] == "home");
  REQUIRE(r["result"]["targets"].size() == 1);
  CHECK(r["result"]["targets"][0]["sa"] == up.sa);
  // Gone from the configuration at once; the Delete runs with the settings it had.
  CHECK(f.ask(R"({"id":2,"command":"list-conns"})")["result"]["connections"].empty());
  auto lines = f.run_until([&] { return f.s.waits() == 0; });
  REQUIRE_FALSE(lines.empty());
  CHECK(lines.back()["type"] == "done");
  CHECK(lines.back()["ok"] == true);
  CHECK(f.p.right->count<ike::IkeSaDown>() == 1); // the peer saw the Delete
  CHECK(f.p.right->all<ike::IkeSaDown>().at(0).reason == ike::DownReason::deleted_by_peer);
  CHECK(f.ask(R"({"id":3,"command":"list-sas"})")["result"]["ike_sas"].empty());
  auto again = f.ask(R"({"id":4,"command":"initiate","args":{"name":"home"}})");
  CHECK(again["error"]["code"] == "not_found");
  // Unloading what is gone is not_found; an idle connection's --wait is done at once.
  CHECK(f.ask(R"({"id":5,"command":"unload","args":{"name":"home"}})")["error"]["code"] ==
        "not_found");
  REQUIRE(f.p.left->engine->add_peer(psk_peer("idle", "10.0.0.1", "10.0.0.2"), f.p.net.now));
  f.s.receive(R"({"id":6,"command":"unload","args":{"name":"idle","wait":true}})"
              "\n",
              f.p.net.now);
  auto idle = drain(f.s);
  REQUIRE(idle.size() == 2);
  CHECK(idle[0]["result"]["targets"].empty());
  CHECK(idle[1]["type"] == "done");
  CHECK(idle[1]["ok"] == true);
}

TEST_CASE("unload on the responder deletes its SA and refuses the next attempt", "[ctl][service]") {
  Pair p = Pair::psk();
  ControlService right{*p.right->engine, ServiceInfo{"ike-up test", "none", "", p.net.now, 1}};
  p.initiate();
  p.net.run_until([&] { return p.both_up(); });
  auto r = right.execute(Request{1, "unload", Json{{"name", "gw"}}}, p.net.now);
  REQUIRE(r.result);
  CHECK(r.result->at("targets").size() == 1);
  p.net.run_until([&] { return p.left->count<ike::IkeSaDown>() == 1; });
  CHECK(p.left->count<ike::IkeSaDown>() == 1);
  CHECK(p.right->engine->config().peers.empty());
  p.initiate();
  p.net.run_until([&] { return p.left->count<ike::Failure>() >= 1; });
  CHECK(p.left->count<ike::Failure>() == 1);
  CHECK(p.right->count<ike::IkeSaUp>() == 1); // only the first one
}

TEST_CASE("list-sas shows auth methods, NAT flags, reauth and the data plane's counters",
          "[ctl][service]") {
  Fixture f;
  drain(f.s);
  f.p.initiate();
  f.p.net.run_until([&] { return f.p.both_up(); });
  auto child = f.p.left->all<ike::ChildSaUp>().at(0);
  auto sa = f.ask(R"({"id":1,"command":"list-sas"})")["result"]["ike_sas"][0];
  CHECK(sa["local_auth"] == "psk");
  CHECK(sa["remote_auth"] == "psk");
  CHECK(sa["nat_local"] == false);
  CHECK(sa["nat_remote"] == false);
  CHECK(sa.contains("reauth_in_s"));
  CHECK(sa["reauth_in_s"].is_null());
  auto c = sa["children"][0];
  for (const char* k : {"bytes_in", "packets_in", "bytes_out", "packets_out", "last_used"}) {
    INFO(k);
    CHECK(c.contains(k));
    CHECK(c[k].is_null()); // no data plane
  }
  f.svc.set_counters([&](uint32_t spi_in) -> std::optional<json::ChildCounters> {
    if (spi_in != child.spi_in) return std::nullopt;
    return json::ChildCounters{1000, 10, 2000, 20, std::string("2026-01-01T00:00:01.000000Z")};
  });
  c = f.ask(R"({"id":2,"command":"list-sas"})")["result"]["ike_sas"][0]["children"][0];
  CHECK(c["bytes_in"] == 1000);
  CHECK(c["packets_in"] == 10);
  CHECK(c["bytes_out"] == 2000);
  CHECK(c["packets_out"] == 20);
  CHECK(c["last_used"] == "2026-01-01T00:00:01.000000Z");
  f.svc.set_counters(
      [](uint32_t) -> std::optional<json::ChildCounters> { return json::ChildCounters{}; });
  c = f.ask(R"({"id":3,"command":"list-sas"})")["result"]["ike_sas"][0]["children"][0];
  CHECK(c["packets_in"] == 0);
  CHECK(c["last_used"].is_null()); // never used
}

TEST_CASE("list-leases shows a responder's pools; list-sas the virtual IP", "[ctl][service]") {
  ike::Config l = config_with(psk_peer("home", "10.0.0.1", "10.0.0.2"));
  l.peers[0].request_vips = {ip("0.0.0.0")};
  ike::Config r = config_with(psk_peer("gw", "10.0.0.2", "10.0.0.1"));
  r.peers[0].pools = {*Prefix::parse("10.99.0.0/30")};
  Pair p(l, r);
  ControlService gw{*p.right->engine, ServiceInfo{"ike-up test", "none", "", p.net.now, 1}};
  auto empty = gw.execute(Request{1, "list-leases", Json::object()}, p.net.now);
  REQUIRE(empty.result);
  CHECK((*empty.result)["pools"] == Json::array());
  p.initiate();
  REQUIRE(p.net.run_until([&] { return p.both_up(); }));
  auto o = gw.execute(Request{2, "list-leases", Json::object()}, p.net.now);
  REQUIRE(o.result);
  auto& pool = (*o.result)["pools"][0];
  CHECK(pool["pool"] == "10.99.0.0/30");
  CHECK(pool["size"] == 2);
  CHECK(pool["online"] == 1);
  CHECK(pool["never_used"] == 1);
  CHECK(pool["leases"] ==
        Json::parse(R"([{"address":"10.99.0.1","identity":"10.0.0.1","online":true}])"));
  auto sas = gw.execute(Request{3, "list-sas", Json::object()}, p.net.now);
  REQUIRE(sas.result);
  CHECK((*sas.result)["ike_sas"][0]["virtual_ips"] == Json::array({"10.99.0.1"}));
  auto bad = gw.execute(Request{4, "list-leases", Json{{"x", 1}}}, p.net.now);
  CHECK_FALSE(bad.result);
}
