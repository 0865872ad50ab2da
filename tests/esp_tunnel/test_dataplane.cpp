// Sans-I/O tests of the data plane helpers and esp-tunnel's option parsing: the
// ChildSaSpec checks, selector matching, the XFRM states/policies a spec becomes,
// the headroom/tailroom the TUN path leaves (RFC 4303 2: header + IV before the
// payload, padding + trailer + ICV after), and flag errors that name the flag.
#include "esp/sa.hpp"
#include "io/dataplane/child_sa.hpp"
#include "io/dataplane/stats.hpp"
#include "io/dataplane/tun_dataplane.hpp"
#include "io/dataplane/xfrm_dataplane.hpp"
#include "ip_literal.hpp"
#include "key_material.hpp"
#include "options.hpp"

#include <catch2/catch.hpp>
#include <vector>

using namespace ikekit;
using namespace ikekit::test;
using namespace ikekit::io;
using namespace ikekit::io::dataplane;

namespace {

SaKeys keys(uint32_t spi, const char* cipher, const char* integ = nullptr) {
  SaKeys k;
  k.spi = spi;
  k.encr = crypto::find_keyword(crypto::TransformKind::encr, cipher);
  k.encr_key = SecretBytes(size_t(k.encr->key_len) + k.encr->salt_len);
  if (integ) {
    k.integ = crypto::find_keyword(crypto::TransformKind::integ, integ);
    k.integ_key = SecretBytes(k.integ->key_len);
  }
  return k;
}

ChildSaSpec spec(const char* cipher, const char* integ = nullptr) {
  ChildSaSpec s;
  s.in = keys(0xc2000001, cipher, integ);
  s.out = keys(0xc1000001, cipher, integ);
  s.local = ip("10.31.1.1");
  s.remote = ip("10.31.1.2");
  return s;
}

esp::TrafficSelector ts(const char* t) { return esp::TrafficSelector{pfx(t)}; }

// Flags of a valid static-key aes256gcm16 tunnel between 192.0.2.1 and .2, to vary.
esp_tunnel::Flags static_key_flags() {
  esp_tunnel::Flags f;
  f.local = "192.0.2.1";
  f.remote = "192.0.2.2";
  f.spi_in = "c0000001";
  f.spi_out = "c0000002";
  f.cipher = "aes256gcm16";
  f.key_in = f.key_out = std::string(72, '1');
  return f;
}

} // namespace

TEST_CASE("validate_child_sa accepts the suites esp-tunnel offers") {
  for (const char* c : {"aes128gcm16", "aes256gcm16", "chacha20poly1305"})
    CHECK(validate_child_sa(spec(c)));
  CHECK(validate_child_sa(spec("aes128", "sha256")));
  CHECK(validate_child_sa(spec("aes256", "sha512")));
}

TEST_CASE("validate_child_sa names the field that is wrong") {
  auto s = spec("aes256gcm16");
  s.out.encr_key = SecretBytes(32); // RFC 4106 8.1: the salt is missing
  auto r = validate_child_sa(s);
  REQUIRE_FALSE(r);
  CHECK(r.error().field == "out.encr_key");
  CHECK(r.error().message.find("36") != std::string::npos);

  s = spec("aes128"); // CBC without integrity
  CHECK(validate_child_sa(s).error().field == "in.integ");
  s = spec("aes256gcm16", "sha256"); // AEAD with integrity
  CHECK(validate_child_sa(s).error().field == "in.integ");
  s = spec("aes256gcm16");
  s.in.spi = 255; // RFC 4303 2.1: reserved
  CHECK(validate_child_sa(s).error().field == "in.spi");
  s = spec("aes256gcm16");
  s.remote = ip("2001:db8::1");
  CHECK(validate_child_sa(s).error().field == "remote");
}

TEST_CASE("Prefix::contains matches selectors bit by bit") {
  auto a = ip("10.32.1.2");
  CHECK(pfx("10.32.1.2/32").contains(a));
  CHECK(pfx("10.32.0.0/16").contains(a));
  CHECK(pfx("10.32.1.0/31").contains(ip("10.32.1.1")));
  CHECK_FALSE(pfx("10.32.1.0/31").contains(a));
  CHECK(pfx("0.0.0.0/0").contains(a));
  CHECK_FALSE(pfx("::/0").contains(a));
  CHECK(pfx("fd00::/8").contains(ip("fd12::1")));
}

TEST_CASE("the TUN path's headroom and tailroom fit every suite at the largest MTU") {
  // A packet read at kTxHeadroom into a buffer of kTxHeadroom + mtu + kTxTailroom
  // bytes must seal in place, and the result must open again.
  const size_t mtu = 9000;
  std::vector<uint8_t> buf(kTxHeadroom + mtu + kTxTailroom);
  struct Suite {
    const char* c;
    const char* i;
  };
  for (Suite su :
       {Suite{"aes128gcm16", nullptr}, Suite{"aes256gcm16", nullptr},
        Suite{"chacha20poly1305", nullptr}, Suite{"aes128", "sha256"}, Suite{"aes256", "sha512"}}) {
    INFO(su.c);
    auto s = spec(su.c, su.i);
    SeededRng rng(1);
    auto out = esp::EspSaOut::create(sa_params(s.out, 0), &rng);
    REQUIRE(out);
    CHECK(out->overhead().header <= kTxHeadroom);
    for (size_t len : {size_t(1), size_t(20), size_t(1399), mtu}) {
      CHECK(out->overhead().trailer(len) <= kTxTailroom);
      std::fill(buf.begin(), buf.end(), 0);
      buf[kTxHeadroom] = 0x45;
      auto sealed = out->seal_in_place(buf, kTxHeadroom, len, esp::kNextHeaderIpv4);
      REQUIRE(sealed);
      CHECK(sealed.packet.size() <= len + kMaxOuterOverhead - 40 - 8); // fits the MTU budget
      auto in = esp::EspSaIn::create(sa_params(s.out, 64));
      REQUIRE(in);
      auto opened = in->open_in_place(sealed.packet);
      REQUIRE(opened);
      CHECK(opened.payload.size() == len);
      CHECK(opened.payload[0] == 0x45);
    }
  }
}

TEST_CASE("XfrmDataplane::plan: inbound and outbound states, out/in/fwd policies") {
  auto s = spec("aes256gcm16");
  s.local_ts = {ts("10.32.1.0/24")};
  s.remote_ts = {ts("10.33.0.0/16"), ts("10.34.0.0/16")};
  auto p = *XfrmDataplane::plan(s, 0xc2000001, std::nullopt);
  CHECK(p.sa_in.spi == 0xc2000001);
  CHECK(p.sa_in.src == s.remote);
  CHECK(p.sa_in.dst == s.local);
  CHECK(p.sa_in.replay_window == s.replay_window);
  CHECK(p.sa_out.spi == 0xc1000001);
  CHECK(p.sa_out.src == s.local);
  REQUIRE(p.sa_out.aead);
  CHECK(p.sa_out.aead->name == kXfrmAesGcm);
  CHECK(p.sa_out.aead->key.size() == 36);
  CHECK(p.sa_out.aead->icv_bits == 128);
  REQUIRE(p.sa_out.encap);
  CHECK(p.sa_out.encap->sport == 4500);
  CHECK(p.policies.size() == 6); // 2 selector pairs x (out, in, fwd)
  CHECK(p.policies[0].dir == XfrmDir::out);
  CHECK(p.policies[0].sel.src == pfx("10.32.1.0/24"));
  CHECK(p.policies[1].dir == XfrmDir::in);
  CHECK(p.policies[1].sel.src == pfx("10.33.0.0/16"));
  CHECK(p.policies[2].dir == XfrmDir::fwd);

  auto t = spec("aes128", "sha256");
  t.mode = EspMode::transport;
  t.udp_encap = false;
  auto q = *XfrmDataplane::plan(t, 0xc2000001, std::nullopt);
  CHECK_FALSE(q.sa_out.encap);
  REQUIRE(q.sa_out.crypt);
  REQUIRE(q.sa_out.auth);
  CHECK(q.sa_out.auth->icv_bits == 128); // HMAC-SHA-256-128 (RFC 4868)
  CHECK(q.policies.size() == 2);         // transport: out + in, host to host
  CHECK(q.policies[0].sel.dst == Prefix::host(t.remote));
}

TEST_CASE("StatsCell publishes a consistent copy") {
  StatsCell<InStats> cell;
  InStats s;
  s.packets = 5;
  s.replay = 3;
  s.deliver_dropped = 7;
  cell.publish(s);
  InStats r = cell.load();
  CHECK(r.packets == 5);
  CHECK(r.replay == 3);
  CHECK(r.deliver_dropped == 7);
}

TEST_CASE("add_delivery_drops: opened but undelivered packets are not counted delivered") {
  InStats to;
  to.packets = 10;
  InStats local;
  local.not_esp = 5; // never opened: does not change packets
  local.bad_inner = 1;
  local.selector_src = 2;
  local.selector_port = 1;
  add_delivery_drops(to, local);
  CHECK(to.packets == 6);
  CHECK(to.not_esp == 5);
  CHECK(to.selector_src == 2);
  CHECK(to.selector_port == 1);
  local.deliver_dropped = 100; // never below zero
  add_delivery_drops(to, local);
  CHECK(to.packets == 0);
}

TEST_CASE("esp-tunnel flags: errors name the flag and the expected length") {
  esp_tunnel::Flags f;
  f.local = "192.0.2.1";
  f.remote = "192.0.2.2";
  f.spi_in = "0xc0000001";
  f.spi_out = "c0000002";
  f.cipher = "aes256gcm16";
  f.key_in = std::string(72, '1');
  f.key_out = std::string(64, '1');
  auto r = esp_tunnel::make_options(f);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::usage);
  CHECK(r.error().field == "--key-out");
  CHECK(r.error().message.find("takes 36 bytes") != std::string::npos);
  // The key given is never echoed, even a wrong one (it may be a real key with a typo).
  CHECK(r.error().message.find(f.key_out) == std::string::npos);
  CHECK(r.error().message.find("1111") == std::string::npos);

  f.key_out = f.key_in;
  f.tun_addr = {"10.32.1.1/24"};
  f.routes = {"10.33.0.0/16"};
  auto ok = esp_tunnel::make_options(f);
  REQUIRE(ok);
  CHECK(ok->sa.in.spi == 0xc0000001);
  CHECK(ok->sa.out.spi == 0xc0000002);
  CHECK(ok->sa.in.encr_key.size() == 36);
  // Tunnel-mode selectors: the TUN address's network and the routes.
  REQUIRE(ok->sa.local_ts.size() == 1);
  CHECK(ok->sa.local_ts[0] == ts("10.32.1.0/24"));
  CHECK(ok->sa.remote_ts == std::vector<esp::TrafficSelector>{ts("10.33.0.0/16")});
}

TEST_CASE("parse_spi: hex, optional 0x, reserved values refused") {
  CHECK(*esp_tunnel::parse_spi("0xC0FFEE01", "--spi-in") == 0xc0ffee01);
  CHECK(*esp_tunnel::parse_spi("100", "--spi-in") == 0x100);
  CHECK(esp_tunnel::parse_spi("ff", "--spi-in").error().field == "--spi-in");
  CHECK_FALSE(esp_tunnel::parse_spi("123456789", "--spi-out"));
  CHECK_FALSE(esp_tunnel::parse_spi("0x", "--spi-out"));
  CHECK_FALSE(esp_tunnel::parse_spi("g1234", "--spi-out"));
}

TEST_CASE("esp-tunnel --mark and --if-id: parsed for the XFRM backend, errors name the flag") {
  esp_tunnel::Flags f = static_key_flags();
  f.backend = "xfrm";
  f.mark = "0x2a/0xff";
  f.if_id = "7";
  auto ok = esp_tunnel::make_options(f);
  REQUIRE(ok);
  REQUIRE(ok->mark);
  CHECK(ok->mark->value == 0x2a);
  CHECK(ok->mark->mask == 0xff);
  CHECK(ok->if_id == 7u);

  f.mark = "42"; // no mask: all 32 bits, as ip-xfrm(8)
  f.if_id = "0x10";
  ok = esp_tunnel::make_options(f);
  REQUIRE(ok);
  CHECK(ok->mark->value == 42);
  CHECK(ok->mark->mask == 0xffffffff);
  CHECK(ok->if_id == 16u);

  f.mark.clear();
  f.if_id.clear();
  ok = esp_tunnel::make_options(f);
  REQUIRE(ok);
  CHECK_FALSE(ok->mark);
  CHECK_FALSE(ok->if_id);

  auto fails = [&](const char* mark, const char* if_id, const char* backend) {
    esp_tunnel::Flags g = f;
    g.mark = mark;
    g.if_id = if_id;
    g.backend = backend;
    auto r = esp_tunnel::make_options(g);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Errc::usage);
    return r.error();
  };
  for (const char* bad : {"x", "0x", "1/", "/1", "4294967296", "-1", "1/0xfffffffff", "0x2a/ff"}) {
    INFO(bad);
    Error e = fails(bad, "", "xfrm");
    CHECK(e.field == "--mark");
    CHECK(e.message.find(std::string("\"") + bad + "\"") != std::string::npos);
    CHECK(e.message.find("VALUE[/MASK]") != std::string::npos);
  }
  for (const char* bad : {"0", "abc", "4294967296", "0x"}) {
    INFO(bad);
    Error e = fails("", bad, "xfrm");
    CHECK(e.field == "--if-id");
    CHECK(e.message.find(std::string("\"") + bad + "\"") != std::string::npos);
  }
  // The TUN backend has no marks or interfaces.
  CHECK(fails("1", "", "tun").message.find("only with --backend xfrm") != std::string::npos);
  CHECK(fails("", "1", "tun").field == "--if-id");
}

TEST_CASE("XfrmDataplane::plan puts the mark and if_id on both states and every policy") {
  auto s = spec("aes256gcm16");
  s.local_ts = {ts("10.32.1.0/24")};
  s.remote_ts = {ts("10.33.0.0/16")};
  auto p = *XfrmDataplane::plan(s, 0xc2000001, XfrmMark{0x2a, 0xff}, 7u);
  for (const XfrmSa* sa : {&p.sa_in, &p.sa_out}) {
    REQUIRE(sa->mark);
    CHECK(sa->mark->value == 0x2a);
    CHECK(sa->mark->mask == 0xff);
    CHECK(sa->if_id == 7u);
  }
  REQUIRE(p.policies.size() == 3);
  for (const XfrmPolicy& pol : p.policies) {
    REQUIRE(pol.mark);
    CHECK(pol.mark->value == 0x2a);
    CHECK(pol.if_id == 7u);
  }
  auto q = *XfrmDataplane::plan(s, 0xc2000001, std::nullopt);
  CHECK_FALSE(q.sa_in.mark);
  CHECK_FALSE(q.sa_in.if_id);
  CHECK_FALSE(q.policies[0].if_id);
}

TEST_CASE("esp-tunnel --busy-poll: the data plane's default unless given, tun backend only") {
  esp_tunnel::Flags f = static_key_flags();
  auto ok = esp_tunnel::make_options(f);
  REQUIRE(ok);
  CHECK(ok->busy_poll == kDefaultBusyPoll);
  f.busy_poll_us = 0; // off
  ok = esp_tunnel::make_options(f);
  REQUIRE(ok);
  CHECK(ok->busy_poll.count() == 0);
  f.busy_poll_us = 50;
  ok = esp_tunnel::make_options(f);
  REQUIRE(ok);
  CHECK(ok->busy_poll.count() == 50);
  f.backend = "xfrm"; // the kernel's data plane has no threads of ours
  auto r = esp_tunnel::make_options(f);
  REQUIRE_FALSE(r);
  CHECK(r.error().field == "--busy-poll");
  CHECK(r.error().message.find("only with --backend tun") != std::string::npos);
}

TEST_CASE("TunDataplane::create refuses a busy poll outside 0..100 ms before opening anything") {
  for (auto us : {std::chrono::microseconds(-1), std::chrono::microseconds(100'001)}) {
    TunDataplaneOptions o;
    o.local = ip("10.31.1.1");
    o.busy_poll = us;
    auto dp = TunDataplane::create(o); // no TUN device needed: refused first
    REQUIRE_FALSE(dp);
    CHECK(dp.error().code == Errc::bad_value);
    CHECK(dp.error().field == "busy_poll");
  }
}
