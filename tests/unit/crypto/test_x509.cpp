// X.509 for IKEv2 (RFC 7296 2.15, 3.5, 3.6, 3.7; RFC 4945): loading, chain validation
// at an injected time, identity matching, CERTREQ hashes.
//
//   Initiator                         Responder (RFC 7296 1.2)
//   HDR, SK {IDi, [CERT,] [CERTREQ,]
//       [IDr,] AUTH, SAi2, TSi, TSr}  -->
//                                <--  HDR, SK {IDr, [CERT,] AUTH, SAr2, TSi, TSr}
//
// The receiver validates CERT (end entity + intermediates) up to its CA files, checks
// that IDi is bound to the certificate, then verifies AUTH with its key.
#include "base/hex.hpp"
#include "base/ip_address.hpp"
#include "crypto/sign.hpp"
#include "crypto/x509.hpp"
#include "test_files.hpp"

#include <catch2/catch.hpp>
#include <ctime>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>

using namespace ikekit;
using namespace ikekit::crypto;

namespace {

std::string pki_path(const std::string& name) { return test::data_dir() + "/pki/" + name; }

Certificate load_cert(const std::string& name) {
  auto certs = Certificate::load_file(pki_path(name));
  INFO(name << ": " << (certs ? "" : certs.error().message));
  REQUIRE(certs);
  REQUIRE(certs->size() == 1);
  return certs->front();
}

CertStore store_of(std::initializer_list<const char*> cas) {
  CertStore store;
  for (const char* ca : cas)
    REQUIRE(store.add_file(pki_path(ca)));
  return store;
}

// A validation time inside the certificate's validity: the tests never read the clock.
std::time_t inside(const Certificate& c) { return c.not_before_time() + 86400; }

ByteView text_id(const std::string& s) { return as_bytes(s); }

} // namespace

TEST_CASE("certificates load from PEM and DER and expose their fields", "[x509]") {
  Certificate ee = load_cert("ee-p256.crt");
  Certificate der = load_cert("ee-p256.der");
  CHECK(ee.der() == der.der());
  CHECK(ee.subject() == "C=CH, O=ikekit test, CN=sun.ikekit.test");
  CHECK(ee.issuer() == "C=CH, O=ikekit test, CN=ikekit P-256 Root CA");
  CHECK(ee.common_name() == std::optional<std::string>("sun.ikekit.test"));
  CHECK_FALSE(ee.is_ca());
  CHECK(load_cert("ca-p256.crt").is_ca());
  CHECK(ee.serial_hex().size() >= 2);
  // RFC 3339 dates, and the time_t accessors agree with them.
  CHECK(ee.not_before().size() == 20);
  CHECK(ee.not_before().back() == 'Z');
  CHECK(ee.not_after_time() - ee.not_before_time() == 3650L * 86400);

  auto sans = ee.subject_alt_names();
  REQUIRE(sans.size() == 3);
  CHECK(sans[0].kind == SubjectAltName::Kind::dns);
  CHECK(sans[0].text == "sun.ikekit.test");
  CHECK(sans[1].kind == SubjectAltName::Kind::ip);
  CHECK(sans[1].text == "2001:db8::1");
  CHECK(sans[1].raw.size() == 16);
  CHECK(sans[2].kind == SubjectAltName::Kind::email);
  CHECK(sans[2].text == "sun@ikekit.test");
  CHECK(san_kind_name(sans[2].kind) == "email");

  auto key = ee.public_key();
  REQUIRE(key);
  CHECK(key->type() == KeyType::ecdsa_p256);
  CHECK(load_cert("ee-ed25519.crt").public_key()->type() == KeyType::ed25519);
  CHECK(load_cert("ee-rsa.crt").public_key()->type() == KeyType::rsa);
}

TEST_CASE("a PEM bundle holds several certificates; garbage is an error", "[x509]") {
  auto all = Certificate::load_file(pki_path("bundle-rsa-p256.crt"));
  REQUIRE(all);
  CHECK(all->size() == 2);
  auto none = Certificate::from_pem("no certificate here");
  REQUIRE_FALSE(none);
  CHECK(none.error().code == Errc::not_found);
  const uint8_t junk[] = {0x30, 0x03, 0x02, 0x01, 0x01};
  CHECK_FALSE(Certificate::from_der(junk));
  // Trailing octets after the DER certificate are refused.
  Bytes der = load_cert("ee-p256.crt").der();
  der.push_back(0);
  auto trailing = Certificate::from_der(der);
  REQUIRE_FALSE(trailing);
  CHECK(trailing.error().code == Errc::bad_length);
}

// A PublicKey takes its DER and key hash once, from the SubjectPublicKeyInfo it was
// decoded from: a certificate's key, the key read back from that DER and the one its
// private key gives are the same key with the same DER and hashes as the certificate's.
TEST_CASE("A certificate's key, read again from its SPKI DER and from its private key, agree",
          "[x509]") {
  for (const char* name : {"ee-rsa", "ee-p256", "ee-p384", "ee-p521", "ee-ed25519"}) {
    INFO(name);
    Certificate c = load_cert(std::string(name) + ".crt");
    auto of_cert = c.public_key();
    REQUIRE(of_cert);
    auto of_der = PublicKey::from_spki_der(of_cert->spki_der());
    REQUIRE(of_der);
    auto priv = PrivateKey::load_pem_file(pki_path(std::string(name) + ".key"),
                                          SecretAccess::shared_ok); // committed 0644
    REQUIRE(priv);
    const PublicKey of_priv = priv->public_key();
    for (const PublicKey* k : {static_cast<const PublicKey*>(&*of_der), &of_priv}) {
      CHECK(k->equals(*of_cert));
      CHECK(k->type() == of_cert->type());
      CHECK(k->spki_der() == of_cert->spki_der());
      CHECK(k->spki_sha1() == c.spki_sha1());
      CHECK(k->public_key_sha1() == c.public_key_sha1());
    }
    CHECK(of_cert->spki_sha1() == c.spki_sha1());
    CHECK(of_cert->public_key_sha1() == c.public_key_sha1());
    CHECK(of_cert->public_key_sha1().size() == 20);
  }
}

// Certificate::public_key() shares the certificate's decoded key (a reference taken, no
// DER round trip): the key stays whole after the certificate is gone (ASan would see a
// use after free) and still verifies what the certificate's private key signs.
TEST_CASE("A certificate's key outlives the certificate", "[x509]") {
  std::optional<PublicKey> kept;
  {
    Certificate c = load_cert("ee-p256.crt");
    auto k = c.public_key();
    REQUIRE(k);
    kept = *k;
  }
  auto again = PublicKey::from_spki_der(kept->spki_der());
  REQUIRE(again);
  CHECK(kept->equals(*again));
  auto priv = PrivateKey::load_pem_file(pki_path("ee-p256.key"), SecretAccess::shared_ok);
  REQUIRE(priv);
  const Bytes octets = {1, 2, 3};
  auto auth = priv->sign_auth(AuthScheme::ecdsa_sha256_p256, octets);
  REQUIRE(auth);
  CHECK(verify_auth(*kept, auth_method::ecdsa_sha256_p256, *auth, octets));
}

TEST_CASE("RFC 7296 3.7: CERTREQ carries SHA-1 of the CA's SubjectPublicKeyInfo", "[x509]") {
  Certificate ca = load_cert("ca-p256.crt");
  // SHA-1 over the DER SPKI, which is what spki_der() of the public key encodes.
  Bytes spki = ca.public_key()->spki_der();
  REQUIRE(spki.size() == 91); // P-256 SPKI: 26 octets of header + 65 octets of point
  CHECK(ca.spki_sha1().size() == 20);
  CHECK(ca.spki_sha1() == ca.public_key()->spki_sha1());
  // The subjectKeyIdentifier the script asked for ("hash") is SHA-1 of the key bits
  // (RFC 5280 4.2.1.2 (1)), which differs from the SPKI hash.
  REQUIRE(ca.subject_key_id());
  CHECK(*ca.subject_key_id() == ca.public_key_sha1());
  CHECK(ca.public_key_sha1() != ca.spki_sha1());

  CertStore store = store_of({"bundle-rsa-p256.crt"});
  Bytes certreq = store.certreq_authorities();
  REQUIRE(certreq.size() == 40);
  Bytes rsa_hash = load_cert("ca-rsa.crt").spki_sha1();
  CHECK(equal_bytes(ByteView(certreq).first(20), rsa_hash));
  CHECK(equal_bytes(ByteView(certreq).subspan(20), ca.spki_sha1()));
  const Certificate* found = store.find_by_spki_sha1(ca.spki_sha1());
  REQUIRE(found);
  CHECK(found->subject() == ca.subject());
  CHECK(store.find_by_spki_sha1(Bytes(20)) == nullptr);
}

TEST_CASE("a good chain validates at a time inside its validity", "[x509]") {
  CertStore store = store_of({"ca-rsa.crt", "ca-p256.crt", "ca-p384.crt", "ca-ed25519.crt"});
  for (const char* name : {"ee-rsa.crt", "ee-p256.crt", "ee-ed25519.crt", "ee-p521.crt"}) {
    INFO(name);
    Certificate ee = load_cert(name);
    auto path = store.verify(ee, {}, inside(ee));
    INFO((path ? "" : path.error().message));
    REQUIRE(path);
    CHECK(path->size() == 2);
    CHECK(path->front().der() == ee.der());
  }
}

TEST_CASE("an intermediate from a CERT payload completes the chain", "[x509]") {
  CertStore store = store_of({"ca-p384.crt"});
  Certificate ee = load_cert("ee-p384.crt");
  std::vector<Certificate> intermediates = {load_cert("int-p384.crt")};
  auto path = store.verify(ee, intermediates, inside(ee));
  INFO((path ? "" : path.error().message));
  REQUIRE(path);
  REQUIRE(path->size() == 3);
  CHECK(path->at(1).subject() == "C=CH, O=ikekit test, CN=ikekit P-384 Intermediate CA");
  CHECK(path->at(2).subject() == "C=CH, O=ikekit test, CN=ikekit P-384 Root CA");

  // Without the intermediate the issuer is unknown.
  auto missing = store.verify(ee, {}, inside(ee));
  REQUIRE_FALSE(missing);
  CHECK(missing.error().code == Errc::integrity);
  CHECK(missing.error().message.find("unknown CA") != std::string::npos);
  CHECK(missing.error().message.find("ikekit P-384 Intermediate CA") != std::string::npos);
}

TEST_CASE("validation after notAfter or before notBefore fails with the dates", "[x509]") {
  CertStore store = store_of({"ca-p256.crt"});
  Certificate ee = load_cert("ee-p256.crt");
  std::time_t after = ee.not_after_time() + 86400;
  auto expired = store.verify(ee, {}, after);
  REQUIRE_FALSE(expired);
  CHECK(expired.error().code == Errc::integrity);
  CHECK(expired.error().field == "cert[0]");
  INFO(expired.error().message);
  CHECK(expired.error().message.find("expired") != std::string::npos);
  CHECK(expired.error().message.find(ee.not_after()) != std::string::npos);

  auto early = store.verify(ee, {}, ee.not_before_time() - 86400);
  REQUIRE_FALSE(early);
  INFO(early.error().message);
  CHECK(early.error().message.find("not yet valid") != std::string::npos);
  // OpenSSL checks from the anchor down, so the (slightly older) root may be the one named.
  CHECK(early.error().message.find("notBefore 2") != std::string::npos);
}

TEST_CASE("a certificate from an unknown CA is refused with the issuer's name", "[x509]") {
  CertStore store = store_of({"ca-p256.crt"});
  Certificate ee = load_cert("ee-rsa.crt");
  auto r = store.verify(ee, {}, inside(ee));
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::integrity);
  INFO(r.error().message);
  CHECK(r.error().message.find("unknown CA") != std::string::npos);
  CHECK(r.error().message.find("CN=ikekit RSA Root CA") != std::string::npos);

  CertStore empty;
  CHECK_FALSE(empty.verify(ee, {}, inside(ee)));
}

TEST_CASE("a certificate with a damaged signature is refused", "[x509]") {
  CertStore store = store_of({"ca-rsa.crt"});
  Bytes der = load_cert("ee-rsa.crt").der();
  der.back() ^= 0x01; // last octet of the RSA signature
  auto bad = Certificate::from_der(der);
  REQUIRE(bad);
  auto r = store.verify(*bad, {}, inside(*bad));
  REQUIRE_FALSE(r);
  INFO(r.error().message);
  CHECK(r.error().message.find("bad signature") != std::string::npos);
}

TEST_CASE("RFC 4945 5.1.3.2/5.1.3.12: keyUsage and extendedKeyUsage", "[x509]") {
  CertStore store = store_of({"ca-p256.crt"});
  Certificate noku = load_cert("ee-noku-p256.crt");
  auto r = store.verify(noku, {}, inside(noku));
  REQUIRE_FALSE(r);
  CHECK(r.error().field == "cert[0].key_usage");
  CHECK(r.error().message.find("digitalSignature") != std::string::npos);

  Certificate codesign = load_cert("ee-codesign-p256.crt");
  auto r2 = store.verify(codesign, {}, inside(codesign));
  REQUIRE_FALSE(r2);
  CHECK(r2.error().field == "cert[0].extended_key_usage");

  // The IKE intermediate purpose alone is an IKE certificate too (Windows, macOS).
  Certificate ikeint = load_cert("ee-ikeint-p256.crt");
  CHECK(store.verify(ikeint, {}, inside(ikeint)));
}

TEST_CASE("extendedKeyUsage as dotted OIDs; none without the extension", "[x509]") {
  CHECK(load_cert("ee-client-p256.crt").extended_key_usage() ==
        std::vector<std::string>{std::string(eku::client_auth)});
  CHECK(load_cert("ee-ikeint-p256.crt").extended_key_usage() ==
        std::vector<std::string>{std::string(eku::ike_intermediate)});
  CHECK(load_cert("ee-p256.crt").extended_key_usage() ==
        std::vector<std::string>{std::string(eku::server_auth), std::string(eku::client_auth),
                                 std::string(eku::ipsec_ike)});
  CHECK_FALSE(load_cert("ee-p521.crt").extended_key_usage());
}

TEST_CASE("RFC 7296 3.5: the peer's ID must be in the certificate", "[x509]") {
  Certificate rsa = load_cert("ee-rsa.crt");
  CHECK(match_identity(rsa, id_type::fqdn, text_id("moon.ikekit.test")));
  CHECK(match_identity(rsa, id_type::fqdn, text_id("MOON.ikekit.TEST")));
  CHECK(match_identity(rsa, id_type::rfc822_addr, text_id("moon@ikekit.test")));
  CHECK(match_identity(rsa, id_type::ipv4_addr, IpAddress::parse("192.0.2.1")->bytes()));

  auto wrong = match_identity(rsa, id_type::fqdn, text_id("sun.ikekit.test"));
  REQUIRE_FALSE(wrong);
  CHECK(wrong.error().code == Errc::integrity);
  CHECK(
      wrong.error().message ==
      "ID_FQDN 'sun.ikekit.test' does not match the certificate's dNSName SANs (moon.ikekit.test)");
  // The CN is not consulted when there are SANs.
  CHECK_FALSE(match_identity(rsa, id_type::ipv4_addr, IpAddress::parse("192.0.2.9")->bytes()));
  CHECK_FALSE(match_identity(rsa, id_type::rfc822_addr, text_id("sun@ikekit.test")));
  auto v6 = match_identity(rsa, id_type::ipv6_addr, Bytes(4));
  REQUIRE_FALSE(v6);
  CHECK(v6.error().code == Errc::bad_length);

  Certificate p256 = load_cert("ee-p256.crt");
  CHECK(match_identity(p256, id_type::ipv6_addr, IpAddress::parse("2001:db8::1")->bytes()));
  CHECK_FALSE(match_identity(p256, id_type::ipv6_addr, IpAddress::parse("2001:db8::2")->bytes()));

  CHECK(match_identity(rsa, 11, Bytes(20)).error().code == Errc::unsupported); // ID_KEY_ID
}

TEST_CASE("ID_DER_ASN1_DN equals the subject", "[x509]") {
  Certificate ee = load_cert("ee-p256.crt");
  CHECK(match_identity(ee, id_type::der_asn1_dn, ee.subject_der()));
  auto other = match_identity(ee, id_type::der_asn1_dn, load_cert("ee-rsa.crt").subject_der());
  REQUIRE_FALSE(other);
  CHECK(other.error().message ==
        "ID_DER_ASN1_DN 'C=CH, O=ikekit test, CN=moon.ikekit.test' does not equal the "
        "certificate subject 'C=CH, O=ikekit test, CN=sun.ikekit.test'");
  // A differently encoded but canonically equal DN: CN as UTF8String in upper case
  // instead of the certificate's encoding.
  Bytes dn = ee.subject_der();
  // Find "sun.ikekit.test" and upper-case it; X509_NAME_cmp folds case.
  std::string cn = "sun.ikekit.test";
  auto it = std::search(dn.begin(), dn.end(), cn.begin(), cn.end());
  REQUIRE(it != dn.end());
  for (size_t i = 0; i < cn.size(); ++i)
    it[long(i)] = uint8_t(std::toupper(it[long(i)]));
  CHECK(match_identity(ee, id_type::der_asn1_dn, dn));
  const uint8_t not_a_name[] = {0x04, 0x01, 0x00};
  CHECK(match_identity(ee, id_type::der_asn1_dn, not_a_name).error().code == Errc::bad_value);
}

TEST_CASE("ID_FQDN falls back to the CN only when there is no subjectAltName", "[x509]") {
  Certificate nosan = load_cert("ee-nosan-p256.crt");
  CHECK_FALSE(nosan.has_san_extension());
  CHECK(match_identity(nosan, id_type::fqdn, text_id("nosan.ikekit.test")));
  auto wrong = match_identity(nosan, id_type::fqdn, text_id("other.ikekit.test"));
  REQUIRE_FALSE(wrong);
  CHECK(wrong.error().message.find("no subjectAltName") != std::string::npos);
  // Never for email or addresses.
  CHECK_FALSE(match_identity(nosan, id_type::rfc822_addr, text_id("nosan.ikekit.test")));
}
