// ike-up's event lines (ikekit-json(7)): the engine's enums render to the documented
// strings, and child_sa_up names its connection but never prints keys.
#include "base/hex.hpp"

#include "json/ike_events.hpp"
#include <catch2/catch.hpp>

using namespace ikekit;

TEST_CASE("event JSON: reasons, steps and exchanges are today's strings", "[json][events]") {
  using R = ike::DownReason;
  CHECK(json::down_reason_name(R::deleted_by_peer) == "deleted by peer");
  CHECK(json::down_reason_name(R::deleted_locally) == "deleted locally");
  CHECK(json::down_reason_name(R::dpd) == "dpd");
  CHECK(json::down_reason_name(R::retransmit) == "retransmit");
  CHECK(json::down_reason_name(R::failure) == "failure");
  CHECK(json::down_reason_name(R::initial_contact) == "initial_contact");
  CHECK(json::down_reason_name(R::expired) == "expired");
  CHECK(json::down_reason_name(R::rekeyed) == "rekeyed");
  CHECK(json::down_reason_name(R::ike_sa_down) == "ike_sa_down");
  CHECK(json::failure_step_name(ike::FailureStep::ts) == "ts");
  CHECK(json::failure_step_name(ike::FailureStep::retransmit) == "retransmit");
  CHECK(json::exchange_name(wire::ExchangeType::create_child_sa) == "create_child_sa");
  CHECK(json::exchange_name(wire::ExchangeType(0)).empty());

  ike::Failure f;
  f.sa = 3;
  f.peer = "home";
  f.exchange = wire::ExchangeType::ike_auth;
  f.step = ike::FailureStep::auth;
  auto j = json::event_to_json(f, "t");
  CHECK(j["exchange"] == "ike_auth");
  CHECK(j["step"] == "auth");
  CHECK(j["conn"] == "home");
  ike::IkeSaDown d{7, "", 1, 2, R::deleted_by_peer};
  auto dj = json::event_to_json(d, "t");
  CHECK(dj["reason"] == "deleted by peer");
  CHECK(dj["conn"].is_null()); // an SA that matched no connection
}

TEST_CASE("event JSON: child_sa_up names its connection and never prints keys",
          "[json][events][keys]") {
  ike::ChildSaUp up;
  up.sa = 1;
  up.peer = "home";
  up.name = "net";
  up.spi_in = 0xc0000001;
  up.spi_out = 0xc0000002;
  up.local = {IpAddress::parse("10.0.0.1").value(), 4500};
  up.remote = {IpAddress::parse("10.0.0.2").value(), 4500};
  up.encr = "aes128gcm16";
  up.encr_in = SecretBytes(Bytes(20, 0xab));
  up.encr_out = SecretBytes(Bytes(20, 0xcd));
  auto j = json::event_to_json(up, "t");
  CHECK(j["conn"] == "home");
  CHECK(j["child"] == "net");
  std::string text = j.dump();
  CHECK(text.find("abababab") == std::string::npos);
  CHECK(text.find("cdcdcdcd") == std::string::npos);

  // The key log takes them from the event: one line per direction, in before out.
  auto lines = json::keylog_lines(up);
  REQUIRE(lines.size() == 2);
  CHECK(lines[0]["spi"] == "c0000001");
  CHECK(lines[0]["dst"] == "10.0.0.1");
  CHECK(lines[0]["encr_key"] == to_hex(Bytes(20, 0xab)));
  CHECK(lines[1]["spi"] == "c0000002");
  CHECK(lines[1]["encr_key"] == to_hex(Bytes(20, 0xcd)));
  CHECK(lines[1]["integ_key"].is_null());
}

TEST_CASE("event JSON: lease events and child_sa_up virtual IPs", "[json][events]") {
  ike::Lease l;
  l.sa = 3;
  l.peer = "rw";
  l.action = ike::LeaseAction::released;
  l.pool = *Prefix::parse("10.99.0.0/24");
  l.address = *IpAddress::parse("10.99.0.7");
  l.identity = "alice@vpn.test";
  auto j = json::event_to_json(l, "t");
  CHECK(j["type"] == "lease");
  CHECK(j["action"] == "released");
  CHECK(j["pool"] == "10.99.0.0/24");
  CHECK(j["address"] == "10.99.0.7");
  CHECK(j["identity"] == "alice@vpn.test");
  CHECK(j["reused"] == false);
  CHECK(j["conn"] == "rw");
  ike::ChildSaUp up;
  up.virtual_ips = {*IpAddress::parse("10.99.0.7"), *IpAddress::parse("fd99::7")};
  up.dns = {*IpAddress::parse("10.99.0.53")};
  auto c = json::event_to_json(up, "t");
  CHECK(c["virtual_ips"] == json::Json::array({"10.99.0.7", "fd99::7"}));
  CHECK(c["dns"] == json::Json::array({"10.99.0.53"}));
  CHECK(c["subnets"] == json::Json::array());
  up.subnets = {*Prefix::parse("10.1.0.0/24"), *Prefix::parse("fd00:1::/48")};
  CHECK(json::event_to_json(up, "t")["subnets"] ==
        json::Json::array({"10.1.0.0/24", "fd00:1::/48"}));
  CHECK(json::failure_step_name(ike::FailureStep::cp) == "cp");
}

TEST_CASE("event JSON: a replaced IKE SA names its successor, the successor what it replaces",
          "[json][events][unique]") {
  ike::IkeSaDown d{4, "gw", 1, 2, ike::DownReason::replaced, 9};
  auto dj = json::event_to_json(d, "t");
  CHECK(dj["reason"] == "replaced");
  CHECK(dj["replaced_by"] == 9);
  ike::IkeSaDown plain{4, "gw", 1, 2, ike::DownReason::deleted_locally};
  CHECK(json::event_to_json(plain, "t")["replaced_by"].is_null());
  ike::IkeSaUp up;
  up.sa = 9;
  up.replaces = {4};
  auto uj = json::event_to_json(up, "t");
  CHECK(uj["replaces"] == nlohmann::json::array({4}));
  up.replaces.clear();
  CHECK(json::event_to_json(up, "t")["replaces"] == nlohmann::json::array());
  CHECK(json::failure_step_name(ike::FailureStep::unique) == "unique");
}

TEST_CASE("event JSON: ike_sa_encap_changed names the path, the old and the new encapsulation",
          "[json][events][mobike]") {
  ike::IkeSaEncapChanged e{5,
                           "home",
                           ike::Endpoint{*IpAddress::parse("10.0.1.1"), 4500},
                           ike::Endpoint{*IpAddress::parse("10.0.0.2"), 4500},
                           ike::Encap::nat,
                           ike::Encap::none,
                           false,
                           false,
                           false};
  auto j = json::event_to_json(e, "t");
  CHECK(j["type"] == "ike_sa_encap_changed");
  CHECK(j["conn"] == "home");
  CHECK(j["local"] == "10.0.1.1:4500");
  CHECK(j["remote"] == "10.0.0.2:4500");
  CHECK(j["old_encap"] == "nat");
  CHECK(j["encap"] == "none");
  CHECK(j["nat_local"] == false);
  CHECK(j["nat_remote"] == false);
  CHECK(j["udp_encap"] == false);
}

TEST_CASE("event JSON: ike_sa_moved says what NAT detection found and the encapsulation",
          "[json][events][mobike]") {
  ike::IkeSaMoved m{7,
                    "gw",
                    ike::Endpoint{*IpAddress::parse("10.0.0.2"), 4500},
                    ike::Endpoint{*IpAddress::parse("10.0.0.1"), 4500},
                    ike::Endpoint{*IpAddress::parse("10.0.0.2"), 4500},
                    ike::Endpoint{*IpAddress::parse("192.0.2.1"), 20001},
                    ike::MoveReason::mobike};
  m.encap = ike::Encap::nat;
  m.udp_encap = true;
  m.nat_remote = true;
  auto j = json::event_to_json(m, "t");
  CHECK(j["type"] == "ike_sa_moved");
  CHECK(j["old_remote"] == "10.0.0.1:4500");
  CHECK(j["remote"] == "192.0.2.1:20001");
  CHECK(j["reason"] == "mobike");
  CHECK(j["encap"] == "nat");
  CHECK(j["udp_encap"] == true);
  CHECK(j["nat_local"] == false);
  CHECK(j["nat_remote"] == true);
}
