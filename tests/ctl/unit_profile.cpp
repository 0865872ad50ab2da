// Client profiles (ctl/profile.hpp): the server's facts of an EAP remote-access
// connection, each format written and parsed back, and proposals a platform cannot
// express refused with the proposal, the algorithm and the platform named.
#include "base/base64.hpp"
#include "crypto/x509.hpp"
#include "ctl/profile.hpp"
#include "ike/config.hpp"
#include "test_files.hpp"

#include <catch2/catch.hpp>
#include <regex>

using namespace ikekit;
using namespace ikekit::ctl;

namespace {

const std::string kPki = test::data_dir() + "/pki/";

ike::PeerConfig server(const std::string& ike_proposal, const std::string& esp_proposal) {
  ike::PeerConfig p;
  p.name = "rw";
  p.local = {*IpAddress::parse("192.0.2.1"), 500};
  p.local_id = *ike::Identity::parse("vpn.ikekit.test");
  p.local_auth = ike::AuthMethodKind::pubkey;
  p.remote_auth = ike::AuthMethodKind::eap_mschapv2;
  p.local_certs = *crypto::Certificate::load_file(kPki + "ee-p256.crt");
  auto cas = std::make_shared<crypto::CertStore>();
  REQUIRE(cas->add_file(kPki + "ca-p256.crt"));
  p.cas = cas;
  p.ike_proposals = *ike::parse_ike_proposals(ike_proposal);
  p.child.esp_proposals = *ike::parse_esp_proposals(esp_proposal);
  p.child.name = "net";
  p.child.local_ts = {*ike::TsSpec::parse("10.1.0.0/16")};
  p.pools = {*Prefix::parse("10.3.0.0/24")};
  p.dns = {*IpAddress::parse("10.1.0.53")};
  return p;
}

ProfileFacts facts_of(const ike::PeerConfig& p) {
  // Through the JSON the control socket carries.
  auto f = parse_profile_facts(Json::parse(profile_facts_json(p).dump()));
  REQUIRE(f);
  return *f;
}

ProfileOptions user(const std::string& name = "carol") {
  ProfileOptions o;
  o.user = name;
  o.ca_file = "/etc/ikekit/rw-ca.pem";
  o.password_file = "/etc/ikekit/rw.eap-password";
  o.local_address = "198.51.100.7";
  return o;
}

// The value of <key>K</key> followed by one <string>/<integer> element, in a plist.
std::string plist_value(const std::string& plist, const std::string& key) {
  std::smatch m;
  std::regex re("<key>" + key + "</key>\\s*<(string|integer|data)>([^<]*)</\\1>");
  return std::regex_search(plist, m, re) ? m[2].str() : "<missing>";
}

} // namespace

TEST_CASE("profile facts: certificates and the issuing CA, never a secret", "[ctl][profile]") {
  auto p = server("aes256gcm16-prfsha256-ecp256", "aes256gcm16");
  p.psk = SecretBytes(Bytes{'s', 'e', 'c', 'r', 'e', 't'});
  Json j = profile_facts_json(p);
  CHECK(j.dump().find("secret") == std::string::npos);
  auto f = facts_of(p);
  CHECK(f.server_id == "vpn.ikekit.test");
  CHECK(f.server_id_type == "fqdn");
  CHECK(f.server_auth == "pubkey");
  CHECK(f.client_auth == "eap-mschapv2");
  REQUIRE(f.ca_pem);
  auto ca = crypto::Certificate::from_pem(*f.ca_pem);
  REQUIRE(ca);
  CHECK(ca->subject_der() == p.local_certs.back().issuer_der());
  CHECK(f.ike_proposals == std::vector<std::string>{"aes256gcm16-prfsha256-ecp256"});
  CHECK(f.server_ts == std::vector<std::string>{"10.1.0.0/16"});
  CHECK(f.pools == std::vector<std::string>{"10.3.0.0/24"});
  // Without the CA among the anchors the server cannot tell it: ikectl --ca then.
  p.cas = nullptr;
  auto no_ca = facts_of(p);
  CHECK_FALSE(no_ca.ca_pem);
  auto r = write_profile(ProfileFormat::sswan, no_ca, user());
  REQUIRE_FALSE(r);
  CHECK(r.error().field == "--ca");
}

TEST_CASE("mobileconfig: Apple's VPN and root payloads with the server's algorithms",
          "[ctl][profile]") {
  auto f = facts_of(server("aes128-sha256-modp2048,aes256gcm16-prfsha384-ecp384", "aes256gcm16"));
  auto o = user();
  o.on_demand = true;
  o.include_all_networks = true;
  auto text = write_profile(ProfileFormat::mobileconfig, f, o);
  REQUIRE(text);
  const std::string& s = *text;
  CHECK(s.rfind("<?xml", 0) == 0);
  CHECK(plist_value(s, "VPNType") == "IKEv2");
  CHECK(plist_value(s, "RemoteAddress") == "192.0.2.1");
  CHECK(plist_value(s, "RemoteIdentifier") == "vpn.ikekit.test");
  CHECK(plist_value(s, "AuthName") == "carol");
  CHECK(plist_value(s, "ExtendedAuthEnabled") == "1");
  CHECK(plist_value(s, "AuthenticationMethod") == "None");
  CHECK(s.find("<key>AuthPassword</key>") == std::string::npos);
  CHECK(s.find("com.apple.security.root") != std::string::npos);
  CHECK(s.find("<string>Connect</string>") != std::string::npos);
  CHECK(plist_value(s, "IncludeAllNetworks") == "1");
  // The first proposal fits Apple: AES-128 with SHA2-256 (the PRF follows it), group 14.
  CHECK(plist_value(s, "EncryptionAlgorithm") == "AES-128");
  CHECK(plist_value(s, "IntegrityAlgorithm") == "SHA2-256");
  CHECK(plist_value(s, "DiffieHellmanGroup") == "14");
  CHECK(plist_value(s, "EnablePFS") == "0");
  // Every <dict>/<array> closes.
  for (const char* tag : {"dict", "array"}) {
    auto count = [&](const std::string& t) {
      size_t n = 0;
      for (size_t i = s.find(t); i != std::string::npos; i = s.find(t, i + 1))
        ++n;
      return n;
    };
    CHECK(count(std::string("<") + tag + ">") == count(std::string("</") + tag + ">"));
  }
  // The CA payload is the DER of the CA, base64.
  auto ca = crypto::Certificate::from_pem(*f.ca_pem);
  CHECK(s.find(to_base64(ca->der())) != std::string::npos);
  o.password = "pa<ss";
  auto with_pw = write_profile(ProfileFormat::mobileconfig, f, o);
  REQUIRE(with_pw);
  CHECK(plist_value(*with_pw, "AuthPassword") == "pa&lt;ss");
}

TEST_CASE("a proposal the platform lacks is refused, naming it and the platform",
          "[ctl][profile]") {
  // Apple derives the IKE PRF from IntegrityAlgorithm: AES-XCBC has no such name.
  auto xcbc = facts_of(server("aes256gcm16-prfaesxcbc-ecp256", "aes256gcm16"));
  auto r = write_profile(ProfileFormat::mobileconfig, xcbc, user());
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::unsupported);
  CHECK(r.error().field == "ike_proposals[0]");
  CHECK_THAT(r.error().message, Catch::Contains("prfaesxcbc") && Catch::Contains("iOS/macOS"));
  // Windows has no Curve25519 group, and no ChaCha20-Poly1305 for ESP.
  auto x25519 = facts_of(server("aes256gcm16-prfsha256-x25519", "aes256gcm16"));
  r = write_profile(ProfileFormat::powershell, x25519, user());
  REQUIRE_FALSE(r);
  CHECK_THAT(r.error().message,
             Catch::Contains("x25519") && Catch::Contains("Windows") && Catch::Contains("DHGroup"));
  auto chacha = facts_of(server("aes256gcm16-prfsha256-ecp256", "chacha20poly1305"));
  r = write_profile(ProfileFormat::powershell, chacha, user());
  REQUIRE_FALSE(r);
  CHECK(r.error().field == "esp_proposals[0]");
  CHECK_THAT(r.error().message, Catch::Contains("chacha20poly1305"));
  // Apple has both: the same server is fine there.
  CHECK(write_profile(ProfileFormat::mobileconfig, chacha, user()));
  // A later proposal that fits is taken.
  auto second =
      facts_of(server("aes256gcm16-prfsha256-x25519,aes256-sha384-ecp384", "aes128-sha1"));
  auto ps = write_profile(ProfileFormat::powershell, second, user());
  REQUIRE(ps);
  CHECK_THAT(*ps, Catch::Contains("-EncryptionMethod AES256 -IntegrityCheckMethod SHA384 "
                                  "-DHGroup ECP384 -CipherTransformConstants AES128 "
                                  "-AuthenticationTransformConstants SHA196 -PfsGroup None"));
}

TEST_CASE("sswan: the strongSwan Android app's JSON keys", "[ctl][profile]") {
  auto f = facts_of(server("aes256gcm16-prfsha256-ecp256", "aes256gcm16-ecp256"));
  auto text = write_profile(ProfileFormat::sswan, f, user());
  REQUIRE(text);
  auto j = Json::parse(*text);
  CHECK(std::regex_match(
      j["uuid"].get<std::string>(),
      std::regex("[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")));
  CHECK(j["uuid"] == Json::parse(*write_profile(ProfileFormat::sswan, f, user()))["uuid"]);
  CHECK(j["uuid"] != Json::parse(*write_profile(ProfileFormat::sswan, f, user("dave")))["uuid"]);
  CHECK(j["type"] == "ikev2-eap");
  CHECK(j["name"] == "rw");
  CHECK(j["remote"]["addr"] == "192.0.2.1");
  CHECK(j["remote"]["id"] == "vpn.ikekit.test");
  CHECK(j["local"]["eap_id"] == "carol");
  CHECK(j["ike-proposal"] == "aes256gcm16-prfsha256-ecp256");
  CHECK(j["esp-proposal"] == "aes256gcm16-ecp256-noesn");
  auto der = crypto::Certificate::from_pem(*f.ca_pem)->der();
  CHECK(j["remote"]["cert"] == to_base64(der));
  auto o = user();
  o.password = "x";
  auto r = write_profile(ProfileFormat::sswan, f, o);
  REQUIRE_FALSE(r);
  CHECK(r.error().field == "--include-password");
}

TEST_CASE("powershell, swanctl and ike-up profiles", "[ctl][profile]") {
  auto f = facts_of(server("aes256gcm16-prfsha256-ecp256", "aes256gcm16"));
  auto o = user();
  o.remote_address = "vpn.example.org";
  auto ps = write_profile(ProfileFormat::powershell, f, o);
  REQUIRE(ps);
  CHECK_THAT(*ps, Catch::Contains("Add-VpnConnection -Name 'rw' -ServerAddress 'vpn.example.org' "
                                  "-TunnelType Ikev2 -AuthenticationMethod Eap"));
  CHECK_THAT(*ps, Catch::Contains("-EncryptionMethod GCMAES256 -IntegrityCheckMethod SHA256 "
                                  "-DHGroup ECP256 -CipherTransformConstants GCMAES256 "
                                  "-AuthenticationTransformConstants GCMAES256 -PfsGroup None"));
  CHECK_THAT(*ps, Catch::Contains("-----BEGIN CERTIFICATE-----"));

  o.remote_address.clear();
  o.password = "p\"w";
  auto sw = write_profile(ProfileFormat::swanctl, f, o);
  REQUIRE(sw);
  CHECK_THAT(*sw, Catch::Contains("remote_addrs = 192.0.2.1") &&
                      Catch::Contains("vips = 0.0.0.0") &&
                      Catch::Contains("proposals = aes256gcm16-prfsha256-ecp256") &&
                      Catch::Contains("eap_id = \"carol\"") &&
                      Catch::Contains("cacerts = \"/etc/ikekit/rw-ca.pem\"") &&
                      Catch::Contains("remote_ts = 10.1.0.0/16") &&
                      Catch::Contains("secret = \"p\\\"w\""));
  o.password.reset();
  auto up = write_profile(ProfileFormat::ike_up, f, o);
  REQUIRE(up);
  auto c = Json::parse(*up)["connections"][0];
  CHECK(c["role"] == "initiator");
  CHECK(c["local"] == "198.51.100.7");
  CHECK(c["remote"] == "192.0.2.1");
  CHECK(c["local_auth"] == "eap-mschapv2");
  CHECK(c["eap_identity"] == "carol");
  CHECK(c["eap_password_file"] == "/etc/ikekit/rw.eap-password");
  CHECK(c["ca"] == Json::array({"/etc/ikekit/rw-ca.pem"}));
  CHECK(c["remote_id"] == "vpn.ikekit.test");
  CHECK(c["request_vip"] == true);
  // ike-up dials an address, not a name.
  o.remote_address = "vpn.example.org";
  auto bad = write_profile(ProfileFormat::ike_up, f, o);
  REQUIRE_FALSE(bad);
  CHECK(bad.error().field == "--remote-address");
}

TEST_CASE("profiles need a certificate server and EAP clients", "[ctl][profile]") {
  auto p = server("aes256gcm16-prfsha256-ecp256", "aes256gcm16");
  p.local_auth = p.remote_auth = ike::AuthMethodKind::psk;
  auto r = write_profile(ProfileFormat::swanctl, facts_of(p), user());
  REQUIRE_FALSE(r);
  CHECK(r.error().field == "result.server_auth");
  CHECK(profile_format_from_name("ike-up") == ProfileFormat::ike_up);
  CHECK_FALSE(profile_format_from_name("ovpn"));
}
