// json::EventLineRenderer writes ike-up's lifecycle events as text; event_to_json through
// JsonOutput is the definition of those lines. Both must give the same bytes for every
// kind the renderer takes, with every field set both ways (null and not), and for strings
// that need escapes or are not UTF-8; the renderer must allocate nothing once warm.
#include "replaced_new.hpp"

#include "json/event_line.hpp"
#include "json/ike_events.hpp"
#include "json/output.hpp"
#include <atomic>
#include <catch2/catch.hpp>
#include <sstream>

using namespace ikekit;
using namespace std::chrono_literals;

// Counts operator new calls while `g_count_allocations` is set (this test binary's own
// global new, tests/replaced_new.hpp; everything else only pays a relaxed load).
namespace {
std::atomic<bool> g_count_allocations{false};
std::atomic<size_t> g_allocations{0};
} // namespace

void on_test_allocation(std::size_t) noexcept {
  if (g_count_allocations.load(std::memory_order_relaxed)) ++g_allocations;
}

namespace {

constexpr std::string_view kTime = "2026-12-07T09:36:16.123456Z";

// What ike-up wrote before the renderer: JsonOutput::write of event_to_json, no --pretty.
std::string nlohmann_line(const ike::Event& e) {
  std::ostringstream s;
  json::JsonOutput out(s, false);
  out.write(json::event_to_json(e, std::string(kTime)));
  return s.str();
}

std::string rendered_line(const ike::Event& e) {
  json::EventLineRenderer r;
  REQUIRE(r.render(e, kTime));
  std::ostringstream s;
  json::JsonOutput out(s, false);
  out.write_line(r.line());
  return s.str();
}

ike::Endpoint ep(const char* a, uint16_t port) { return {*IpAddress::parse(a), port}; }
ike::TsSpec ts(const char* t) { return *ike::TsSpec::parse(t); }
ike::Identity id(const char* t) { return *ike::Identity::parse(t); }

// Strings that nlohmann escapes or replaces, and some it leaves alone.
const std::vector<std::string> kAwkwardStrings = {
    "",
    "plain",
    "quote\" backslash\\ slash/",
    std::string("nul\0byte", 8),
    "\b\t\n\f\r\x01\x1f\x7f",
    "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", // valid UTF-8: é € 😀
    "\xff",                                      // never a UTF-8 byte
    "a\xc3",                                     // cut short at the end
    "\xc3(",                                     // a lead byte then ASCII
    "\xe0\x80\x80 \xc0\xaf",                     // overlong forms
    "\xed\xa0\x80",                              // a surrogate
    "\xf4\x90\x80\x80",                          // past U+10FFFF
    "\xf0\x9f\x98 \x80\x80 ok \"\\\n",           // cut, stray continuations, escapes
    "\xe2\x82\xac\xe2\x82",                      // valid, then cut
};

ike::IkeSaUp ike_sa_up() {
  ike::IkeSaUp e;
  e.sa = 42;
  e.peer = "home";
  e.initiator = true;
  e.spi_i = 0x0123456789abcdefULL;
  e.spi_r = 0xfedcba9876543210ULL;
  e.local = ep("192.0.2.1", 4500);
  e.remote = ep("198.51.100.200", 4500);
  e.nat_t = true;
  e.nat_remote = true;
  e.encap = ike::Encap::nat;
  e.encr = "aes256gcm16";
  e.prf = "prfsha256";
  e.ke = "x25519";
  e.local_id = id("192.0.2.1");
  e.remote_id = id("@gw.example.org");
  e.local_auth = "psk";
  e.remote_auth = "ecdsa-sha256";
  return e;
}

ike::ChildSaUp child_sa_up() {
  ike::ChildSaUp e;
  e.sa = 42;
  e.peer = "home";
  e.name = "net";
  e.spi_in = 0xc0000001;
  e.spi_out = 0x0000abcd;
  e.local = ep("2001:db8::1", 4500);
  e.remote = ep("2001:db8:ffff::2", 4500);
  e.encr = "aes128cbc";
  e.integ = "sha256";
  e.local_ts = {ts("10.1.0.0/24"),
                ts("10.1.0.5"),
                ts("10.1.0.1-10.1.0.9"),
                ts("10.2.0.0/16[udp/500]"),
                ts("10.3.0.0/16[6/1000-2000]"),
                ts("2001:db8::/64[17]")};
  e.remote_ts = {ts("0.0.0.0/0")};
  e.lifetimes = {3600s, 3960s, 360s};
  e.encr_in = SecretBytes(Bytes(16, 0xab));
  return e;
}

} // namespace

TEST_CASE("event line: every rendered kind gives event_to_json's bytes", "[json][events]") {
  ike::IkeSaUp up = ike_sa_up();
  CHECK(rendered_line(up) == nlohmann_line(up));
  up.peer.clear(); // conn null
  up.stream = true;
  up.encap = ike::Encap::forced;
  up.integ = "sha384";
  up.ke.clear();
  up.local_id = id("dn:300b3109300706035504030c00");
  up.remote_id = id("keyid:0102ab");
  up.eap_method = "eap-mschapv2"; // with an empty EAP identity: "" rather than null
  up.replaces = {3, 18446744073709551615ULL};
  CHECK(rendered_line(up) == nlohmann_line(up));
  up.local_id = id("%null");
  up.remote_id = id("carol@example.org");
  up.eap_identity = "carol";
  up.local = ep("::1", 500);
  CHECK(rendered_line(up) == nlohmann_line(up));

  ike::ChildSaUp child = child_sa_up();
  CHECK(rendered_line(child) == nlohmann_line(child));
  child.peer.clear();
  child.mode = ike::ChildMode::transport;
  child.udp_encap = child.stream = child.esn = true;
  child.encap = ike::Encap::forced;
  child.integ.clear();
  child.local_ts.clear();
  child.lifetimes = {1500ms, 1650ms, 150ms}; // fractions of seconds
  child.rekeyed_spi_in = 0xdeadbeef;
  child.virtual_ips = {*IpAddress::parse("10.99.0.7"), *IpAddress::parse("fd99::7")};
  child.dns = {*IpAddress::parse("10.99.0.53")};
  child.subnets = {*Prefix::parse("10.1.0.0/24"), *Prefix::parse("fd00:1::/48")};
  CHECK(rendered_line(child) == nlohmann_line(child));
  child.lifetimes = {}; // all null
  child.lifetimes.rekey_time = 1ns;
  CHECK(rendered_line(child) == nlohmann_line(child));

  for (auto reason : {ike::DownReason::deleted_by_peer, ike::DownReason::half_open_timeout,
                      ike::DownReason::replaced}) {
    ike::ChildSaDown cd{7, "gw", "net", 1, 0xffffffff, reason};
    CHECK(rendered_line(cd) == nlohmann_line(cd));
    ike::IkeSaDown d{7, "", 1, 2, reason, 0};
    CHECK(rendered_line(d) == nlohmann_line(d));
    d.replaced_by = 9;
    CHECK(rendered_line(d) == nlohmann_line(d));
  }
  ike::IkeSaRekeyed ir{5, "gw", 1, 2, 0xffffffffffffffffULL, 4};
  CHECK(rendered_line(ir) == nlohmann_line(ir));
  ike::ChildSaRekeyed cr{5, "gw", "net", 1, 2, 3, 0x80000000};
  CHECK(rendered_line(cr) == nlohmann_line(cr));
}

TEST_CASE("event line: names and identities that need escapes or are not UTF-8", "[json][events]") {
  for (const std::string& s : kAwkwardStrings) {
    INFO("string: " << json::Json(s).dump(-1, ' ', true, nlohmann::json::error_handler_t::replace));
    std::string text;
    json::append_json_string(text, s);
    CHECK(text == json::Json(s).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));

    ike::IkeSaUp up = ike_sa_up();
    up.peer = s;
    up.local_auth = s;
    up.remote_id = ike::Identity{wire::IdType::id_fqdn, Bytes(s.begin(), s.end())};
    up.eap_method = "eap-mschapv2";
    up.eap_identity = s;
    CHECK(rendered_line(up) == nlohmann_line(up));
    ike::ChildSaDown cd{7, s, s, 1, 2, ike::DownReason::dpd};
    CHECK(rendered_line(cd) == nlohmann_line(cd));
  }
  // Every single byte, and every pair starting with a byte at or above 0x80.
  for (int a = 0; a < 256; ++a) {
    std::string one(1, char(a));
    std::string text;
    json::append_json_string(text, one);
    CHECK(text == json::Json(one).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    for (int b = 0; a >= 0x80 && b < 256; ++b) {
      std::string two = {char(a), char(b)};
      std::string text2;
      json::append_json_string(text2, two);
      CHECK(text2 ==
            json::Json(two).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    }
  }
}

TEST_CASE("event line: other kinds are left to event_to_json", "[json][events]") {
  json::EventLineRenderer r;
  CHECK_FALSE(r.render(ike::Failure{}, kTime));
  CHECK_FALSE(r.render(ike::Lease{}, kTime));
  CHECK_FALSE(r.render(ike::SaKeys{}, kTime));
  CHECK_FALSE(r.render(ike::InputDropped{}, kTime));
  CHECK_FALSE(r.render(ike::IkeSaMoved{}, kTime));
  CHECK_FALSE(r.render(ike::IkeSaEncapChanged{}, kTime));
}

TEST_CASE("event line: a warm renderer allocates nothing for a handshake's lines",
          "[json][events]") {
  json::EventLineRenderer r;
  ike::Event up = ike_sa_up();
  ike::Event child = child_sa_up();
  std::get<ike::IkeSaUp>(up).remote_id = id("dn:300b3109300706035504030c00");
  REQUIRE(r.render(up, kTime)); // the buffers grow to a line's size once
  REQUIRE(r.render(child, kTime));
  g_allocations = 0;
  g_count_allocations = true;
  std::string counted(100, 'x'); // one allocation, so a count of 0 below can fail
  volatile char kept = counted.back();
  bool ok = r.render(up, kTime) && r.render(child, kTime);
  g_count_allocations = false;
  CHECK(ok);
  CHECK(kept == 'x');
  CHECK(g_allocations == 1); // the string above, nothing from the renderer
}
