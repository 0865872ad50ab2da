// ike-up's EAP options (ike-up(8) --remote-auth / --local-auth eap-mschapv2): the users
// file (one identity:password a line, checked like the PSK file, errors naming the file
// and the line, never a password), the password file, and what reaches the PeerConfig.
#include "cli/eap_options.hpp"
#include "cli/ike_up_options.hpp"
#include "secret_text.hpp"
#include "test_files.hpp"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

using namespace ikekit;
using namespace ikekit::test;

TEST_CASE("eap users: identity up to the first colon, comments and blank lines skipped") {
  TempDir d("eap");
  auto u = cli::read_eap_users(
      d.file("users", "# users\nalice:pass:with:colons\r\n\nbob:x\n", 0600), "--eap-users");
  INFO((u ? "" : u.error().message));
  REQUIRE(u);
  REQUIRE(u->size() == 2);
  CHECK(secret_text(u->at("alice")) == "pass:with:colons");
  CHECK(secret_text(u->at("bob")) == "x");
}

TEST_CASE("eap users: a bad line is named by file and number, the password never echoed") {
  TempDir d("eap");
  auto p = d.file("users", "alice:secret-one\nno-colon-secret\n", 0600);
  auto u = cli::read_eap_users(p, "--eap-users");
  REQUIRE_FALSE(u);
  CHECK(u.error().field == "--eap-users");
  CHECK(u.error().message == "\"" + p + "\" line 2: expected identity:password");
  auto twice = cli::read_eap_users(d.file("users", "a:secret-one\na:secret-two\n", 0600), "f");
  REQUIRE_FALSE(twice);
  CHECK(twice.error().message.find("line 2") != std::string::npos);
  CHECK(twice.error().message.find("secret") == std::string::npos);
  CHECK_FALSE(cli::read_eap_users(d.file("users", "a:\n", 0600), "f"));
  CHECK_FALSE(cli::read_eap_users(d.file("users", "# nobody\n", 0600), "f"));
}

TEST_CASE("eap users and password files readable by others are refused") {
  TempDir d("eap");
  auto u = cli::read_eap_users(d.file("users", "alice:secret\n", 0644), "--eap-users");
  REQUIRE_FALSE(u);
  CHECK(u.error().field == "--eap-users");
  CHECK(u.error().message.find("0644") != std::string::npos);
  CHECK_FALSE(cli::read_eap_password_file(d.file("pw", "secret\n", 0640), "--eap-password-file"));
  auto pw = cli::read_eap_password_file(d.file("pw", "secret\n", 0600), "--eap-password-file");
  REQUIRE(pw);
  CHECK(secret_text(*pw) == "secret");
}

TEST_CASE("ike-up options: an EAP server and an EAP client reach the PeerConfig") {
  TempDir d("eap");
  std::string pki = test::data_dir() + "/pki/";
  std::ifstream key_in(pki + "ee-p256.key");
  auto key = d.file("key", std::string(std::istreambuf_iterator<char>(key_in), {}), 0600);
  cli::ConnectionOptions server;
  server.role = "responder";
  server.local = "10.0.0.2";
  server.cert = pki + "ee-p256.crt";
  server.key = key;
  server.remote_auth = "eap-mschapv2";
  server.eap_users = d.file("users", "alice:secret\n", 0600);
  cli::IkeUpOptions o;
  o.connections = {server};
  auto s = cli::build_ike_up_setup(o);
  INFO((s ? "" : s.error().field + ": " + s.error().message));
  REQUIRE(s);
  CHECK(s->config.peers[0].remote_auth == ike::AuthMethodKind::eap_mschapv2);
  CHECK(s->config.peers[0].local_auth == ike::AuthMethodKind::pubkey);
  CHECK(s->config.peers[0].eap_backend);

  o.connections[0].eap_users.clear();
  auto missing = cli::build_ike_up_setup(o);
  REQUIRE_FALSE(missing);
  CHECK(missing.error().field == "--eap-users");

  cli::ConnectionOptions client;
  client.role = "initiator";
  client.local = "10.0.0.1";
  client.remote = "10.0.0.2";
  client.ca = {pki + "ca-p256.crt"};
  client.local_auth = "eap-mschapv2";
  client.eap_identity = "alice";
  client.eap_password_file = d.file("pw", "secret\n", 0600);
  o.connections = {client};
  auto c = cli::build_ike_up_setup(o);
  INFO((c ? "" : c.error().field + ": " + c.error().message));
  REQUIRE(c);
  const ike::PeerConfig& p = c->config.peers[0];
  CHECK(p.local_auth == ike::AuthMethodKind::eap_mschapv2);
  CHECK(p.remote_auth == ike::AuthMethodKind::pubkey);
  CHECK(p.eap_identity == "alice");
  CHECK(p.local_id.to_string() == "alice");
  REQUIRE(p.remote_cert_identity);
  CHECK(p.remote_cert_identity->to_string() == "10.0.0.2");

  o.connections[0].local_auth = "eap-md5";
  auto bad = cli::build_ike_up_setup(o);
  REQUIRE_FALSE(bad);
  CHECK(bad.error().field == "--local-auth");
  CHECK(bad.error().message == "\"eap-md5\": expected eap-mschapv2 (or leave it out)");
}

TEST_CASE("ike-up options: an EAP-RADIUS server gets a relay backend and its RADIUS servers") {
  TempDir d("eap");
  std::string pki = test::data_dir() + "/pki/";
  std::ifstream key_in(pki + "ee-p256.key");
  auto key = d.file("key", std::string(std::istreambuf_iterator<char>(key_in), {}), 0600);
  cli::ConnectionOptions server;
  server.role = "responder"; // the flag form: name "ike-up", errors name --flags
  server.local = "10.0.0.2";
  server.cert = pki + "ee-p256.crt";
  server.key = key;
  server.remote_auth = "eap-radius";
  server.radius_server = {"10.0.0.5", "10.0.0.6:1645"};
  server.radius_secret_file = d.file("secret", "s3cret\n", 0600);
  cli::IkeUpOptions o;
  o.connections = {server};
  auto s = cli::build_ike_up_setup(o);
  INFO((s ? "" : s.error().field + ": " + s.error().message));
  REQUIRE(s);
  const ike::PeerConfig& p = s->config.peers[0];
  CHECK(p.remote_auth == ike::AuthMethodKind::eap_mschapv2);
  REQUIRE(p.eap_backend);
  CHECK(p.eap_backend->method() == "eap-radius");
  REQUIRE(s->radius.count("ike-up") == 1);
  const io::RadiusRelayConfig& r = s->radius.at("ike-up");
  REQUIRE(r.servers.size() == 2);
  CHECK(r.servers[0].to_string() == "10.0.0.5:1812"); // RFC 2865 3: the default port
  CHECK(r.servers[1].to_string() == "10.0.0.6:1645");
  REQUIRE(r.secrets.size() == 2);
  CHECK(secret_text(r.secrets[1]) == "s3cret");
  CHECK(r.timeout == std::chrono::seconds(2));
  CHECK(r.transmissions == 3);
  CHECK(r.nas_identifier == "ike-up");

  auto error_of = [&](auto change) {
    cli::IkeUpOptions bad = o;
    change(bad.connections[0]);
    auto b = cli::build_ike_up_setup(bad);
    REQUIRE_FALSE(b);
    return b.error().field + ": " + b.error().message;
  };
  CHECK(error_of([](auto& c) { c.radius_server = {"radius.example"}; }) ==
        "--radius-server: \"radius.example\": expected ADDR[:PORT] (IPv6: [ADDR]:PORT)");
  CHECK(error_of([](auto& c) {
          c.radius_server = {"10.0.0.5:0"};
        }).starts_with("--radius-server: \"10.0.0.5:0\""));
  CHECK(error_of([](auto& c) {
          c.radius_server = {"10.0.0.5", "[2001:db8::1]:1812"};
        }) == "--radius-server: \"[2001:db8::1]:1812\": all RADIUS servers must be of one address "
              "family");
  CHECK(error_of([](auto& c) { c.radius_server.clear(); }) ==
        "--radius-server: --remote-auth eap-radius needs it");
  CHECK(error_of([](auto& c) {
          c.radius_secret_file.clear();
        }).starts_with("--radius-secret-file: "));
  CHECK(error_of([&](auto& c) {
          c.radius_secret_file = d.file("open", "s3cret\n", 0644);
        }).starts_with("--radius-secret-file: "));
  CHECK(error_of([](auto& c) { c.radius_timeout = "soon"; }).starts_with("--radius-timeout: "));
  CHECK(error_of([](auto& c) { c.radius_retries = 11; }) ==
        "--radius-retries: \"11\": expected 0 to 10");
  CHECK(error_of([&](auto& c) {
          c.eap_users = d.file("users", "alice:secret\n", 0600);
        }).starts_with("--eap-users: not with --remote-auth eap-radius"));
  CHECK(error_of([](auto& c) { c.remote_auth = "eap-mschapv2"; }) ==
        "--eap-users: --remote-auth eap-mschapv2 needs it");
  o.connections[0].radius_server = {"[2001:db8::1]"};
  auto v6 = cli::build_ike_up_setup(o);
  REQUIRE(v6);
  CHECK(v6->radius.at("ike-up").servers[0].to_string() == "[2001:db8::1]:1812");
}
