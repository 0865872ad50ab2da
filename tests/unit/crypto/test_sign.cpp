// IKEv2 AUTH signatures: RFC 7296 2.15 / 3.8, RFC 4754 (classic ECDSA r||s),
// RFC 7427 (Digital Signature, method 14), RFC 8420 (Ed25519).
//
//   AUTH payload (RFC 7296 3.8):  Auth Method (1 octet) | reserved | Authentication Data
//   Method 14 data (RFC 7427 3):  ASN.1 Length (1) | AlgorithmIdentifier | Signature Value
#include "base/hex.hpp"
#include "crypto/sign.hpp"
#include "crypto/x509.hpp"
#include "test_files.hpp"

#include <catch2/catch.hpp>
#include <fstream>
#include <iterator>
#include <string>

using namespace ikekit;
using namespace ikekit::crypto;

namespace {

std::string pki(const std::string& name) { return test::data_dir() + "/pki/" + name; }

PrivateKey load_key(const std::string& name) {
  // The committed test keys are 0644 (git keeps no other mode): read them as shared.
  auto k = PrivateKey::load_pem_file(pki(name), SecretAccess::shared_ok);
  INFO(name << ": " << (k ? "" : k.error().message));
  REQUIRE(k);
  return std::move(k).value();
}

PublicKey cert_key(const std::string& name) {
  auto certs = Certificate::load_file(pki(name));
  REQUIRE(certs);
  auto key = certs->front().public_key();
  REQUIRE(key);
  return *key;
}

Bytes unhex(std::string_view h) {
  auto r = from_hex(h, "test");
  REQUIRE(r);
  return *r;
}

// Stand-in for InitiatorSignedOctets = RealMessage1 | NonceRData | MACedIDForI.
const Bytes kSignedOctets = [] {
  std::string s = "RealMessage1 | NonceRData | prf(SK_pi, IDi')";
  return Bytes(s.begin(), s.end());
}();

} // namespace

TEST_CASE("private keys load from PKCS#8 and traditional PEM", "[sign]") {
  CHECK(load_key("ee-rsa.key").type() == KeyType::rsa);
  CHECK(load_key("ee-rsa.pkcs1.key").type() == KeyType::rsa);
  CHECK(load_key("ee-p256.key").type() == KeyType::ecdsa_p256);
  CHECK(load_key("ee-p256.sec1.key").type() == KeyType::ecdsa_p256);
  CHECK(load_key("ee-p384.key").type() == KeyType::ecdsa_p384);
  CHECK(load_key("ee-p521.key").type() == KeyType::ecdsa_p521);
  CHECK(load_key("ee-ed25519.key").type() == KeyType::ed25519);
}

TEST_CASE("a private key matches the public key in its certificate", "[sign]") {
  auto key = load_key("ee-p256.key");
  CHECK(key.matches(cert_key("ee-p256.crt")));
  CHECK_FALSE(key.matches(cert_key("ee-rsa.crt")));
  CHECK(key.public_key().equals(cert_key("ee-p256.crt")));
  CHECK(cert_key("ee-rsa.crt").bits() == 2048);
}

TEST_CASE("bad key input is an error, not a prompt", "[sign]") {
  auto none = PrivateKey::load_pem("not a key");
  REQUIRE_FALSE(none);
  CHECK(none.error().code == Errc::crypto);
  auto enc = PrivateKey::load_pem(
      "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n");
  REQUIRE_FALSE(enc);
  CHECK(enc.error().code == Errc::unsupported);
  auto missing = PrivateKey::load_pem_file(pki("no-such.key"));
  REQUIRE_FALSE(missing);
  CHECK(missing.error().code == Errc::usage);
}

TEST_CASE("every scheme round-trips for every key type it allows", "[sign]") {
  struct Case {
    const char* key;
    const char* cert;
    AuthScheme scheme;
  };
  const Case cases[] = {
      {"ee-rsa.key", "ee-rsa.crt", AuthScheme::rsa_sig},
      {"ee-rsa.key", "ee-rsa.crt", AuthScheme::sig_rsa_sha1},
      {"ee-rsa.key", "ee-rsa.crt", AuthScheme::sig_rsa_sha256},
      {"ee-rsa.key", "ee-rsa.crt", AuthScheme::sig_rsa_sha384},
      {"ee-rsa.key", "ee-rsa.crt", AuthScheme::sig_rsa_sha512},
      {"ee-rsa.key", "ee-rsa.crt", AuthScheme::sig_rsa_pss_sha256},
      {"ee-rsa.key", "ee-rsa.crt", AuthScheme::sig_rsa_pss_sha384},
      {"ee-rsa.key", "ee-rsa.crt", AuthScheme::sig_rsa_pss_sha512},
      {"ee-p256.key", "ee-p256.crt", AuthScheme::ecdsa_sha256_p256},
      {"ee-p384.key", "ee-p384.crt", AuthScheme::ecdsa_sha384_p384},
      {"ee-p521.key", "ee-p521.crt", AuthScheme::ecdsa_sha512_p521},
      {"ee-p256.key", "ee-p256.crt", AuthScheme::sig_ecdsa_sha256},
      {"ee-p256.key", "ee-p256.crt", AuthScheme::sig_ecdsa_sha384},
      {"ee-p256.key", "ee-p256.crt", AuthScheme::sig_ecdsa_sha512},
      {"ee-p384.key", "ee-p384.crt", AuthScheme::sig_ecdsa_sha384},
      {"ee-p384.key", "ee-p384.crt", AuthScheme::sig_ecdsa_sha256},
      {"ee-p521.key", "ee-p521.crt", AuthScheme::sig_ecdsa_sha512},
      {"ee-ed25519.key", "ee-ed25519.crt", AuthScheme::sig_ed25519},
  };
  for (const Case& c : cases) {
    INFO(c.key << " " << auth_scheme_name(c.scheme));
    auto key = load_key(c.key);
    PublicKey pub = cert_key(c.cert);
    auto auth = key.sign_auth(c.scheme, kSignedOctets);
    REQUIRE(auth);
    uint8_t method = auth_method_of(c.scheme);
    auto ok = verify_auth(pub, method, *auth, kSignedOctets);
    INFO((ok ? "" : ok.error().message));
    REQUIRE(ok);
    CHECK(*ok == c.scheme);

    // A flipped bit in the signature, or other signed octets, fail as integrity.
    Bytes tampered = *auth;
    tampered.back() ^= 0x01;
    auto bad = verify_auth(pub, method, tampered, kSignedOctets);
    REQUIRE_FALSE(bad);
    CHECK(bad.error().code == Errc::integrity);
    Bytes other = kSignedOctets;
    other[0] ^= 0x80;
    auto wrong_data = verify_auth(pub, method, *auth, other);
    REQUIRE_FALSE(wrong_data);
    CHECK(wrong_data.error().code == Errc::integrity);
  }
}

TEST_CASE("a signature from another key of the same type fails as integrity", "[sign]") {
  auto key = load_key("ee-p256.key");
  auto auth = key.sign_auth(AuthScheme::sig_ecdsa_sha256, kSignedOctets);
  REQUIRE(auth);
  auto r = verify_auth(cert_key("ee-nosan-p256.crt"), 14, *auth, kSignedOctets);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::integrity);
  CHECK(r.error().message.find("signature does not verify") != std::string::npos);

  auto rsa = load_key("ee-rsa.key").sign_auth(AuthScheme::rsa_sig, kSignedOctets);
  REQUIRE(rsa);
  auto r2 = verify_auth(cert_key("ca-rsa.crt"), 1, *rsa, kSignedOctets);
  REQUIRE_FALSE(r2);
  CHECK(r2.error().code == Errc::integrity);
}

TEST_CASE("RFC 4754 7: classic ECDSA signatures are r||s of twice the field size", "[sign]") {
  auto p256 = load_key("ee-p256.key").sign_auth(AuthScheme::ecdsa_sha256_p256, kSignedOctets);
  auto p384 = load_key("ee-p384.key").sign_auth(AuthScheme::ecdsa_sha384_p384, kSignedOctets);
  auto p521 = load_key("ee-p521.key").sign_auth(AuthScheme::ecdsa_sha512_p521, kSignedOctets);
  REQUIRE(p256);
  REQUIRE(p384);
  REQUIRE(p521);
  CHECK(p256->size() == 64);
  CHECK(p384->size() == 96);
  CHECK(p521->size() == 132);
  // Raw r||s, not DER: method 9 takes exactly these 64 octets. (A check on the first octet
  // would fail whenever r happens to start with 0x30, one run in 256.)
  CHECK(verify_auth(cert_key("ee-p256.crt"), 9, *p256, kSignedOctets));

  // A DER signature under method 9 is refused for its length.
  auto der = load_key("ee-p256.key").sign_auth(AuthScheme::sig_ecdsa_sha256, kSignedOctets);
  REQUIRE(der);
  ByteView der_sig = ByteView(*der).subspan(1 + (*der)[0]);
  auto r = verify_auth(cert_key("ee-p256.crt"), 9, der_sig, kSignedOctets);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::integrity);
  CHECK(r.error().message.find("64 octets r||s") != std::string::npos);
}

TEST_CASE("RFC 7427 3: method 14 ECDSA carries a DER ECDSA-Sig-Value", "[sign]") {
  auto auth = load_key("ee-p256.key").sign_auth(AuthScheme::sig_ecdsa_sha256, kSignedOctets);
  REQUIRE(auth);
  size_t len = (*auth)[0];
  CHECK(len == 12);
  CHECK(equal_bytes(ByteView(*auth).subspan(1, len),
                    algorithm_identifier(AuthScheme::sig_ecdsa_sha256)));
  CHECK((*auth)[1 + len] == 0x30); // SEQUENCE { r INTEGER, s INTEGER }
}

TEST_CASE("a scheme not allowed for the key type is refused", "[sign]") {
  auto p256 = load_key("ee-p256.key");
  auto s = p256.sign_auth(AuthScheme::sig_rsa_pss_sha256, kSignedOctets);
  REQUIRE_FALSE(s);
  CHECK(s.error().code == Errc::bad_value);
  CHECK_FALSE(
      p256.sign_auth(AuthScheme::ecdsa_sha384_p384, kSignedOctets)); // RFC 4754: fixed curve

  // The peer claims RSA-PSS but its certificate holds an ECDSA key.
  auto rsa_auth = load_key("ee-rsa.key").sign_auth(AuthScheme::sig_rsa_pss_sha256, kSignedOctets);
  REQUIRE(rsa_auth);
  auto r = verify_auth(cert_key("ee-p256.crt"), 14, *rsa_auth, kSignedOctets);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::integrity);
  CHECK(r.error().message == "algorithm rsa-pss-sha256 not allowed for an ecdsa-p256 key");
  CHECK(r.error().field == "auth.algorithm_identifier");

  auto ed = verify_auth(cert_key("ee-ed25519.crt"), 1, *rsa_auth, kSignedOctets);
  REQUIRE_FALSE(ed);
  CHECK(ed.error().message == "method 1 (rsa-sig) not allowed for an ed25519 key");

  CHECK(scheme_allowed_for(AuthScheme::sig_ecdsa_sha512, KeyType::ecdsa_p256));
  CHECK_FALSE(scheme_allowed_for(AuthScheme::ecdsa_sha256_p256, KeyType::ecdsa_p384));
  CHECK_FALSE(scheme_allowed_for(AuthScheme::sig_ed25519, KeyType::rsa));
}

TEST_CASE("malformed method 14 AUTH data", "[sign]") {
  PublicKey pub = cert_key("ee-p256.crt");
  auto empty = verify_auth(pub, 14, {}, kSignedOctets);
  REQUIRE_FALSE(empty);
  CHECK(empty.error().code == Errc::truncated);
  CHECK(empty.error().field == "auth.algorithm_identifier_length");

  const uint8_t short_algid[] = {0x0c, 0x30, 0x0a};
  auto cut = verify_auth(pub, 14, short_algid, kSignedOctets);
  REQUIRE_FALSE(cut);
  CHECK(cut.error().code == Errc::truncated);
  CHECK(cut.error().field == "auth.algorithm_identifier");

  // dsa-with-sha256 (RFC 7427 A.2.2) is a valid AlgorithmIdentifier we do not support.
  Bytes dsa = unhex("0b 300b0609608648016503040302");
  dsa.push_back(0x00);
  auto unk = verify_auth(pub, 14, dsa, kSignedOctets);
  REQUIRE_FALSE(unk);
  CHECK(unk.error().code == Errc::unsupported);

  auto psk = verify_auth(pub, 2, Bytes(32), kSignedOctets);
  REQUIRE_FALSE(psk);
  CHECK(psk.error().code == Errc::unsupported);
}

// RFC 7427 Appendix A gives each AlgorithmIdentifier as hex; ours match byte for byte.
TEST_CASE("RFC 7427 Appendix A: AlgorithmIdentifier encodings", "[sign]") {
  // A.1.1 sha1WithRSAEncryption, A.1.2 sha256WithRSAEncryption
  CHECK(to_hex(algorithm_identifier(AuthScheme::sig_rsa_sha1)) == "300d06092a864886f70d0101050500");
  CHECK(to_hex(algorithm_identifier(AuthScheme::sig_rsa_sha256)) ==
        "300d06092a864886f70d01010b0500");
  // sha384/sha512WithRSAEncryption (RFC 4055 5: OIDs 1.2.840.113549.1.1.12 / .13)
  CHECK(to_hex(algorithm_identifier(AuthScheme::sig_rsa_sha384)) ==
        "300d06092a864886f70d01010c0500");
  CHECK(to_hex(algorithm_identifier(AuthScheme::sig_rsa_sha512)) ==
        "300d06092a864886f70d01010d0500");
  // A.3.1 ecdsa-with-sha256, A.3.2 ecdsa-with-sha384, A.3.3 ecdsa-with-sha512
  CHECK(to_hex(algorithm_identifier(AuthScheme::sig_ecdsa_sha256)) == "300a06082a8648ce3d040302");
  CHECK(to_hex(algorithm_identifier(AuthScheme::sig_ecdsa_sha384)) == "300a06082a8648ce3d040303");
  CHECK(to_hex(algorithm_identifier(AuthScheme::sig_ecdsa_sha512)) == "300a06082a8648ce3d040304");
  // RFC 8420 2 / RFC 8410 3: id-Ed25519 with absent parameters
  CHECK(to_hex(algorithm_identifier(AuthScheme::sig_ed25519)) == "300506032b6570");
  // RSASSA-PSS with SHA-256 (RFC 7427 A.4.3 params: hash SHA-256, MGF1 with SHA-256,
  // salt 32), in DER: the default trailerField is omitted, as strongSwan sends it.
  CHECK(to_hex(algorithm_identifier(AuthScheme::sig_rsa_pss_sha256)) ==
        "304106092a864886f70d01010a3034a00f300d06096086480165030402010500a11c301a06092a864886"
        "f70d010108300d06096086480165030402010500a203020120");
  CHECK(to_hex(algorithm_identifier(AuthScheme::sig_rsa_pss_sha384)) ==
        "304106092a864886f70d01010a3034a00f300d06096086480165030402020500a11c301a06092a864886"
        "f70d010108300d06096086480165030402020500a203020130");
  CHECK(to_hex(algorithm_identifier(AuthScheme::sig_rsa_pss_sha512)) ==
        "304106092a864886f70d01010a3034a00f300d06096086480165030402030500a11c301a06092a864886"
        "f70d010108300d06096086480165030402030500a203020140");
  CHECK(algorithm_identifier(AuthScheme::rsa_sig).empty());
}

TEST_CASE("AlgorithmIdentifier parsing accepts the variants peers send", "[sign]") {
  for (AuthScheme s : {AuthScheme::sig_rsa_sha256, AuthScheme::sig_rsa_pss_sha384,
                       AuthScheme::sig_ecdsa_sha512, AuthScheme::sig_ed25519}) {
    auto p = parse_algorithm_identifier(algorithm_identifier(s));
    REQUIRE(p);
    CHECK(*p == s);
  }
  // RFC 7427 A.4.3 as printed: trailerField [3] INTEGER 1 spelled out (72 octets).
  auto a43 = parse_algorithm_identifier(
      unhex("3046 0609 2a86 4886 f70d 0101 0a30 39a0 0f30 0d06 0960 8648 0165 0304 0201 0500"
            "a11c 301a 0609 2a86 4886 f70d 0101 0830 0d06 0960 8648 0165 0304 0201 0500 a203"
            "0201 20a3 0302 0101"));
  REQUIRE(a43);
  CHECK(*a43 == AuthScheme::sig_rsa_pss_sha256);
  // sha256WithRSAEncryption with absent parameters.
  auto no_null = parse_algorithm_identifier(unhex("300b06092a864886f70d01010b"));
  REQUIRE(no_null);
  CHECK(*no_null == AuthScheme::sig_rsa_sha256);
  // A.4.1 RSASSA-PSS with empty parameters names no hash: unsupported.
  auto empty_pss = parse_algorithm_identifier(unhex("300b06092a864886f70d01010a"));
  REQUIRE_FALSE(empty_pss);
  CHECK(empty_pss.error().code == Errc::unsupported);
}

TEST_CASE("a method 14 AUTH verifies with the RFC 7427 A.4.3 PSS encoding", "[sign]") {
  auto auth = load_key("ee-rsa.key").sign_auth(AuthScheme::sig_rsa_pss_sha256, kSignedOctets);
  REQUIRE(auth);
  ByteView sig = ByteView(*auth).subspan(1 + (*auth)[0]);
  Bytes a43 =
      unhex("48 3046 0609 2a86 4886 f70d 0101 0a30 39a0 0f30 0d06 0960 8648 0165 0304 0201 0500"
            "a11c 301a 0609 2a86 4886 f70d 0101 0830 0d06 0960 8648 0165 0304 0201 0500 a203"
            "0201 20a3 0302 0101");
  a43.insert(a43.end(), sig.begin(), sig.end());
  auto r = verify_auth(cert_key("ee-rsa.crt"), 14, a43, kSignedOctets);
  REQUIRE(r);
  CHECK(*r == AuthScheme::sig_rsa_pss_sha256);
}

TEST_CASE("RFC 7427 4: SIGNATURE_HASH_ALGORITHMS", "[sign]") {
  auto ours = supported_sig_hashes();
  REQUIRE(ours.size() == 4);
  CHECK(to_hex(encode_sig_hash_list(ours)) == "0002000300040005");
  auto parsed = parse_sig_hash_list(unhex("0001000200ff"));
  REQUIRE(parsed);
  CHECK(*parsed == std::vector<uint16_t>{1, 2, 255});
  auto odd = parse_sig_hash_list(unhex("000200"));
  REQUIRE_FALSE(odd);
  CHECK(odd.error().code == Errc::bad_length);
  CHECK(sig_hash_of(AuthScheme::sig_rsa_pss_sha384) == SigHash::sha2_384);
  CHECK(sig_hash_of(AuthScheme::sig_ed25519) == SigHash::identity);
  CHECK_FALSE(sig_hash_of(AuthScheme::ecdsa_sha256_p256).has_value());
  // The digest under the signature, classic methods included: SHA-1 for method 1.
  CHECK(digest_of(AuthScheme::rsa_sig) == SigHash::sha1);
  CHECK(digest_of(AuthScheme::sig_rsa_sha1) == SigHash::sha1);
  CHECK(digest_of(AuthScheme::ecdsa_sha256_p256) == SigHash::sha2_256);
  CHECK(digest_of(AuthScheme::sig_rsa_pss_sha512) == SigHash::sha2_512);
}

TEST_CASE("default_auth_scheme: method 14 when the peer announced hashes, else classic", "[sign]") {
  using V = std::optional<std::vector<uint16_t>>;
  const V none;
  const V all = std::vector<uint16_t>{2, 3, 4, 5};
  CHECK(*default_auth_scheme(KeyType::rsa, none) == AuthScheme::rsa_sig);
  CHECK(*default_auth_scheme(KeyType::ecdsa_p256, none) == AuthScheme::ecdsa_sha256_p256);
  CHECK(*default_auth_scheme(KeyType::ecdsa_p384, none) == AuthScheme::ecdsa_sha384_p384);
  CHECK(*default_auth_scheme(KeyType::ecdsa_p521, none) == AuthScheme::ecdsa_sha512_p521);
  auto ed_none = default_auth_scheme(KeyType::ed25519, none);
  REQUIRE_FALSE(ed_none);
  CHECK(ed_none.error().code == Errc::unsupported);

  CHECK(*default_auth_scheme(KeyType::rsa, all) == AuthScheme::sig_rsa_sha256);
  CHECK(*default_auth_scheme(KeyType::rsa, all, true) == AuthScheme::sig_rsa_pss_sha256);
  CHECK(*default_auth_scheme(KeyType::ecdsa_p256, all) == AuthScheme::sig_ecdsa_sha256);
  CHECK(*default_auth_scheme(KeyType::ecdsa_p384, all) == AuthScheme::sig_ecdsa_sha384);
  CHECK(*default_auth_scheme(KeyType::ecdsa_p521, all) == AuthScheme::sig_ecdsa_sha512);
  CHECK(*default_auth_scheme(KeyType::ed25519, all) == AuthScheme::sig_ed25519);

  // Only SHA2-512 in common; an ECDSA P-256 key signs with ecdsa-with-SHA512.
  CHECK(*default_auth_scheme(KeyType::ecdsa_p256, V{std::vector<uint16_t>{4}}) ==
        AuthScheme::sig_ecdsa_sha512);
  // Only SHA-1 announced: fall back to the classic method (RFC 7427 4 permits it).
  CHECK(*default_auth_scheme(KeyType::rsa, V{std::vector<uint16_t>{1}}) == AuthScheme::rsa_sig);
  // Ed25519 without Identity in the list has nothing to fall back to.
  CHECK_FALSE(default_auth_scheme(KeyType::ed25519, V{std::vector<uint16_t>{2, 3, 4}}));
}
