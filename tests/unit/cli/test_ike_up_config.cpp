// ike-up's JSON config (ike-up(8) --config): the man page's example loads, null means
// "not set", and errors name the file and the field.
#include "cli/ike_up_options.hpp"
#include "test_files.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

using namespace ikekit;

namespace {

struct TempFile {
  std::string path;
  explicit TempFile(const std::string& text) {
    char name[] = "/tmp/ikekit-config-XXXXXX";
    int fd = mkstemp(name);
    REQUIRE(fd >= 0);
    ::close(fd);
    path = name;
    std::ofstream(path) << text;
  }
  ~TempFile() { std::remove(path.c_str()); }
};

} // namespace

TEST_CASE("ike-up config: the man page example loads and builds") {
  TempFile psk("an-example-psk-0123456789abcdef\n");
  // ike-up(8) --config, with the PSK path pointed at the temporary file.
  TempFile cfg(R"({"connections":[{"name":"site-b","role":"initiator","local":"192.0.2.1",
  "remote":"198.51.100.7","psk_file":")" +
               psk.path + R"(",
  "ike_proposal":"aes256gcm16-prfsha256-x25519","local_ts":["10.1.0.0/16"],
  "remote_ts":["10.2.0.0/16"]}],
 "keylog":null,"dataplane":"none"})");
  cli::IkeUpOptions o;
  auto loaded = cli::load_ike_up_config(cfg.path, o);
  INFO((loaded ? "" : loaded.error().field + ": " + loaded.error().message));
  REQUIRE(loaded);
  CHECK(o.keylog.empty()); // null: no key log
  CHECK(o.dataplane == "none");
  REQUIRE(o.connections.size() == 1);
  CHECK(o.connections[0].name == "site-b");
  auto setup = cli::build_ike_up_setup(o);
  INFO((setup ? "" : setup.error().field + ": " + setup.error().message));
  REQUIRE(setup);
  CHECK(setup->initiate == std::vector<std::string>{"site-b"});
  CHECK_FALSE(setup->config.emit_keys);
  CHECK_FALSE(setup->config.peers[0].prefer_rsa_pss);
}

TEST_CASE("ike-up config: rsa_pss reaches the PeerConfig") {
  TempFile psk("an-example-psk-0123456789abcdef\n");
  TempFile cfg(
      R"({"connections":[{"name":"a","role":"responder","local":"192.0.2.1","psk_file":")" +
      psk.path + R"(","rsa_pss":true}]})");
  cli::IkeUpOptions o;
  REQUIRE(cli::load_ike_up_config(cfg.path, o));
  auto setup = cli::build_ike_up_setup(o);
  REQUIRE(setup);
  CHECK(setup->config.peers[0].prefer_rsa_pss);
}

TEST_CASE("ike-up config: errors name the file and the field") {
  TempFile unknown(R"({"connections":[{"name":"a","rsa-pss":true}]})");
  cli::IkeUpOptions o;
  auto r = cli::load_ike_up_config(unknown.path, o);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::usage);
  CHECK(r.error().field == unknown.path + ": connections[0].rsa-pss");

  TempFile wrong(R"({"connections":[{"name":"a","port":"five hundred"}]})");
  r = cli::load_ike_up_config(wrong.path, o);
  REQUIRE_FALSE(r);
  CHECK(r.error().field == wrong.path + ": connections[0].port");
  CHECK_THAT(r.error().message, Catch::Contains("wrong type"));
}

TEST_CASE("ike-up config: limits and signature policy reach the engine's Config") {
  TempFile psk("an-example-psk-0123456789abcdef\n");
  TempFile cfg(
      R"({"connections":[{"name":"a","role":"responder","local":"192.0.2.1","psk_file":")" +
      psk.path +
      R"("}],"half_open_limit":7,"half_open_limit_per_ip":2,"max_message_size":2000,
 "max_fragments":9,"max_reassembly_bytes":3000,"allow_sha1_signatures":true})");
  cli::IkeUpOptions o;
  REQUIRE(cli::load_ike_up_config(cfg.path, o));
  auto setup = cli::build_ike_up_setup(o);
  REQUIRE(setup);
  const ike::Config& c = setup->config;
  CHECK(c.half_open_limit == 7);
  CHECK(c.half_open_limit_per_ip == 2);
  CHECK(c.max_message_size == 2000);
  CHECK(c.max_fragments == 9);
  CHECK(c.max_reassembly_bytes == 3000);
  CHECK(c.allow_sha1_signatures);
  // Defaults: strongSwan's where it has them.
  cli::IkeUpOptions d;
  d.connections = o.connections;
  auto def = cli::build_ike_up_setup(d);
  REQUIRE(def);
  CHECK(def->config.half_open_limit_per_ip == 5);
  CHECK(def->config.max_message_size == 10000);
  CHECK_FALSE(def->config.allow_sha1_signatures);
  d.max_message_size = 500;
  auto small = cli::build_ike_up_setup(d);
  REQUIRE_FALSE(small);
  CHECK(small.error().field == "--max-message-size");
}

TEST_CASE("ike-up config: a certificate initiator without remote_id wants the gateway's address "
          "in its certificate") {
  std::string pki = test::data_dir() + "/pki/";
  std::ifstream key_in(pki + "ee-p256.key");
  TempFile key(std::string(std::istreambuf_iterator<char>(key_in), {})); // mode 0600
  cli::ConnectionOptions c;
  c.name = "gw";
  c.role = "initiator";
  c.local = "10.0.0.1";
  c.remote = "192.0.2.6";
  c.cert = pki + "ee-p256.crt";
  c.key = key.path;
  c.ca = {pki + "ca-p256.crt"};
  cli::IkeUpOptions o;
  o.connections = {c};
  auto s = cli::build_ike_up_setup(o);
  INFO((s ? "" : s.error().field + ": " + s.error().message));
  REQUIRE(s);
  const ike::PeerConfig& p = s->config.peers[0];
  CHECK_FALSE(p.remote_id);
  REQUIRE(p.remote_cert_identity);
  CHECK(p.remote_cert_identity->to_string() == "192.0.2.6");
  CHECK(p.require_server_eku);
  // --remote-id %any waives it; server_eku false waives the EKU check.
  o.connections[0].remote_id = "%any";
  o.connections[0].server_eku = false;
  s = cli::build_ike_up_setup(o);
  REQUIRE(s);
  CHECK_FALSE(s->config.peers[0].remote_cert_identity);
  CHECK_FALSE(s->config.peers[0].require_server_eku);
}

TEST_CASE("ike-up config: pools, DNS servers and virtual IP requests reach the PeerConfig") {
  TempFile psk("an-example-psk-0123456789abcdef\n");
  TempFile cfg(
      R"({"connections":[{"name":"rw","role":"responder","local":"192.0.2.1","psk_file":")" +
      psk.path +
      R"(","pool":["10.99.0.0/24","fd99::/112"],"dns":["10.99.0.53"]},
      {"name":"c","role":"initiator","local":"192.0.2.1","remote":"192.0.2.2","psk_file":")" +
      psk.path + R"(","request_vip":true,"request_vip6":true}]})");
  cli::IkeUpOptions o;
  REQUIRE(cli::load_ike_up_config(cfg.path, o));
  auto setup = cli::build_ike_up_setup(o);
  REQUIRE(setup);
  const auto& rw = setup->config.peers[0];
  REQUIRE(rw.pools.size() == 2);
  CHECK(rw.pools[0].to_string() == "10.99.0.0/24");
  CHECK(rw.pools[1].to_string() == "fd99::/112");
  REQUIRE(rw.dns.size() == 1);
  CHECK(rw.dns[0].to_string() == "10.99.0.53");
  const auto& c = setup->config.peers[1];
  REQUIRE(c.request_vips.size() == 2);
  CHECK(c.request_vips[0].to_string() == "0.0.0.0");
  CHECK(c.request_vips[1].to_string() == "::");
}

TEST_CASE("ike-up config: bad pools and DNS servers name the field") {
  TempFile psk("an-example-psk-0123456789abcdef\n");
  auto error_for = [&](const std::string& role, const std::string& extra) {
    TempFile cfg(R"({"connections":[{"name":"a","role":")" + role +
                 R"(","local":"192.0.2.1","remote":"192.0.2.2","psk_file":")" + psk.path + "\"," +
                 extra + "}]}");
    cli::IkeUpOptions o;
    REQUIRE(cli::load_ike_up_config(cfg.path, o));
    auto setup = cli::build_ike_up_setup(o);
    REQUIRE_FALSE(setup);
    CHECK(setup.error().code == Errc::usage);
    return setup.error();
  };
  auto e = error_for("responder", R"("pool":["10.99.0.1/24"])");
  CHECK_THAT(e.field, Catch::EndsWith("connections[0].pool"));
  CHECK_THAT(e.message, Catch::Contains("host bits zero"));
  e = error_for("responder", R"("pool":["10.99.0.0/24","10.99.0.0/25"])");
  CHECK_THAT(e.message, Catch::Contains("overlaps"));
  e = error_for("responder", R"("dns":["ten"])");
  CHECK_THAT(e.field, Catch::EndsWith("connections[0].dns"));
  e = error_for("initiator", R"("pool":["10.99.0.0/24"])");
  CHECK_THAT(e.message, Catch::Contains("only a responder"));
  e = error_for("responder", R"("request_vip":true)");
  CHECK_THAT(e.field, Catch::EndsWith("connections[0].request_vip"));
}

TEST_CASE("ike-up config: unique reaches the PeerConfig (default no); a bad value names the "
          "field") {
  TempFile psk("an-example-psk-0123456789abcdef\n");
  auto conn = [&](const std::string& extra) {
    return R"({"connections":[{"name":"a","role":"responder","local":"192.0.2.1","psk_file":")" +
           psk.path + "\"" + extra + "}]}";
  };
  TempFile plain(conn(""));
  cli::IkeUpOptions o;
  REQUIRE(cli::load_ike_up_config(plain.path, o));
  auto setup = cli::build_ike_up_setup(o);
  REQUIRE(setup);
  CHECK(setup->config.peers[0].unique == ike::UniquePolicy::no);

  TempFile replace(conn(R"(,"unique":"replace")"));
  cli::IkeUpOptions o2;
  REQUIRE(cli::load_ike_up_config(replace.path, o2));
  setup = cli::build_ike_up_setup(o2);
  REQUIRE(setup);
  CHECK(setup->config.peers[0].unique == ike::UniquePolicy::replace);

  TempFile bad(conn(R"(,"unique":"yes")"));
  cli::IkeUpOptions o3;
  REQUIRE(cli::load_ike_up_config(bad.path, o3));
  setup = cli::build_ike_up_setup(o3);
  REQUIRE_FALSE(setup);
  CHECK(setup.error().code == Errc::usage);
  CHECK_THAT(setup.error().field, Catch::EndsWith("connections[0].unique"));
  CHECK(setup.error().message == "\"yes\": expected no, never, keep or replace");
}

TEST_CASE("ike-up config: the kill switch lets IKE through to each connection's peer only") {
  TempFile psk("an-example-psk-0123456789abcdef\n");
  auto config = [&](const std::string& conn, const std::string& extra) {
    return R"({"connections":[)" + conn + R"(],"natt_port":4501)" + extra + "}";
  };
  const std::string initiator = R"({"name":"a","role":"initiator","local":"192.0.2.1",
    "remote":"192.0.2.2","psk_file":")" +
                                psk.path + R"("})";
  const std::string any_peer =
      R"({"name":"b","role":"responder","local":"192.0.2.1","psk_file":")" + psk.path + R"("})";
  TempFile on(config(initiator, R"(,"kill_switch":true,"allow_lan":true)"));
  cli::IkeUpOptions o;
  REQUIRE(cli::load_ike_up_config(on.path, o));
  auto setup = cli::build_ike_up_setup(o);
  REQUIRE(setup);
  REQUIRE(setup->kill_switch);
  CHECK(setup->kill_switch->servers == std::vector{*IpAddress::parse("192.0.2.2")});
  CHECK(setup->kill_switch->allow_lan);
  const auto& ports = setup->kill_switch->ike_ports;
  for (uint16_t p : {500, 4500, 4501})
    CHECK(std::find(ports.begin(), ports.end(), p) != ports.end());
  // A responder that accepts any address has no server to let through.
  TempFile any(config(any_peer, R"(,"kill_switch":true)"));
  cli::IkeUpOptions a;
  REQUIRE(cli::load_ike_up_config(any.path, a));
  auto refused = cli::build_ike_up_setup(a);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().field == "--kill-switch");
  // --allow-lan alone means nothing: refused rather than ignored.
  TempFile lan(config(initiator, R"(,"allow_lan":true)"));
  cli::IkeUpOptions l;
  REQUIRE(cli::load_ike_up_config(lan.path, l));
  auto alone = cli::build_ike_up_setup(l);
  REQUIRE_FALSE(alone);
  CHECK(alone.error().field == "--allow-lan");
  TempFile off(config(initiator, ""));
  cli::IkeUpOptions f;
  REQUIRE(cli::load_ike_up_config(off.path, f));
  auto none = cli::build_ike_up_setup(f);
  REQUIRE(none);
  CHECK_FALSE(none->kill_switch);
}

TEST_CASE("ike-up config: dns_apply only for a connection that requests a virtual IP") {
  TempFile psk("an-example-psk-0123456789abcdef\n");
  auto setup_of = [&](const std::string& request, const std::string& extra) {
    TempFile f(R"({"connections":[{"name":"a","role":"initiator","local":"192.0.2.1",
      "remote":"192.0.2.2","psk_file":")" +
               psk.path + "\"" + request + "}]" + extra + "}");
    cli::IkeUpOptions o;
    REQUIRE(cli::load_ike_up_config(f.path, o));
    return cli::build_ike_up_setup(o);
  };
  auto vip = setup_of(R"(,"request_vip":true)", "");
  REQUIRE(vip);
  REQUIRE(vip->dns_apply);
  CHECK_FALSE(vip->dns_apply->method); // the default: auto
  auto file = setup_of(R"(,"request_vip6":true)", R"(,"dns_apply":"file")");
  REQUIRE(file);
  REQUIRE(file->dns_apply);
  CHECK(file->dns_apply->method == io::DnsMethod::file);
  auto none = setup_of(R"(,"request_vip":true)", R"(,"dns_apply":"none")");
  REQUIRE(none);
  CHECK_FALSE(none->dns_apply);
  auto no_vip = setup_of("", "");
  REQUIRE(no_vip);
  CHECK_FALSE(no_vip->dns_apply); // nothing to apply
  auto alone = setup_of("", R"(,"dns_apply":"resolved")");
  REQUIRE_FALSE(alone);
  CHECK(alone.error().field == "--dns-apply");
  auto bad = setup_of(R"(,"request_vip":true)", R"(,"dns_apply":"dnsmasq")");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code == Errc::usage);
  CHECK(bad.error().message.find("\"dnsmasq\"") != std::string::npos);
}

TEST_CASE("ike-up config: transport, TCP port and limits reach the Config; bad values name the "
          "field") {
  TempFile psk("an-example-psk-0123456789abcdef\n");
  auto conn = [&](const std::string& extra) {
    return R"({"name":"a","role":"initiator","local":"192.0.2.1","remote":"192.0.2.2",)"
           R"("psk_file":")" +
           psk.path + "\"" + extra + "}";
  };
  TempFile cfg(R"({"connections":[)" + conn(R"(,"transport":"auto","tcp_fallback_after":"3s")") +
               R"(],"tcp_port":443,"tcp_max_connections":7,"tcp_idle_timeout":"5s"})");
  cli::IkeUpOptions o;
  REQUIRE(cli::load_ike_up_config(cfg.path, o));
  auto setup = cli::build_ike_up_setup(o);
  REQUIRE(setup);
  CHECK(setup->config.peers[0].transport == ike::IkeTransport::auto_fallback);
  CHECK(setup->config.peers[0].tcp_fallback_after == std::chrono::seconds(3));
  CHECK(setup->config.tcp_port == 443);
  CHECK(setup->tcp.max_connections == 7);
  CHECK(setup->tcp.idle_timeout == std::chrono::seconds(5));

  TempFile udp(R"({"connections":[)" + conn("") + "]}");
  cli::IkeUpOptions u;
  REQUIRE(cli::load_ike_up_config(udp.path, u));
  auto s = cli::build_ike_up_setup(u);
  REQUIRE(s);
  CHECK(s->config.peers[0].transport == ike::IkeTransport::udp);

  TempFile bad(R"({"connections":[)" + conn(R"(,"transport":"quic")") + "]}");
  cli::IkeUpOptions b;
  REQUIRE(cli::load_ike_up_config(bad.path, b));
  auto e = cli::build_ike_up_setup(b);
  REQUIRE_FALSE(e);
  CHECK(e.error().code == Errc::usage);
  CHECK(e.error().field == "connections[0].transport");
  CHECK_THAT(e.error().message, Catch::Contains("udp, tcp or auto"));
}

TEST_CASE("ike-up config: an initiator without --local sends from the route's source") {
  TempFile psk("ikekit-test-psk-0123456789abcdef\n");
  ::chmod(psk.path.c_str(), 0600);
  cli::ConnectionOptions c;
  c.role = "initiator";
  c.remote = "127.0.0.1";
  c.psk_file = psk.path;
  cli::IkeUpOptions o;
  o.connections = {c};
  auto s = cli::build_ike_up_setup(o);
  INFO((s ? "" : s.error().field + ": " + s.error().message));
  REQUIRE(s);
  CHECK(s->config.peers[0].local.address.to_string() == "127.0.0.1");
  CHECK(s->config.peers[0].local_id.to_string() == "127.0.0.1");
  // No route the kernel would send by (a broadcast address without SO_BROADCAST).
  o.connections[0].remote = "255.255.255.255";
  s = cli::build_ike_up_setup(o);
  REQUIRE_FALSE(s);
  CHECK(s.error().code == Errc::environment);
  CHECK(s.error().field == "--local");
  CHECK(s.error().message.find("no route to 255.255.255.255") != std::string::npos);
  // A responder still needs it.
  o.connections[0].role = "responder";
  s = cli::build_ike_up_setup(o);
  REQUIRE_FALSE(s);
  CHECK(s.error().field == "--local");
  CHECK(s.error().code == Errc::usage);
}
