// The transform table: IANA ids (RFC 7296 3.3.2 and the IANA IKEv2 registry) and lengths.
#include "crypto/suite.hpp"

#include <catch2/catch.hpp>
#include <set>
#include <string>

using namespace ikekit::crypto;

TEST_CASE("suite: lookups by IANA id and keyword agree", "[crypto][suite]") {
  const TransformInfo* gcm = find_transform(TransformKind::encr, 20, 256);
  REQUIRE(gcm);
  CHECK(gcm->keyword == "aes256gcm16");
  CHECK(gcm->aead);
  CHECK(gcm->key_len == 32);
  CHECK(gcm->salt_len == 4);
  CHECK(gcm->icv_len == 16);
  CHECK(gcm->iv_len == 8);
  CHECK(gcm->wireshark_name == "AES-GCM-256 with 16 octet ICV [RFC5282]");
  CHECK(gcm->esp_wireshark_name == "AES-GCM with 16 octet ICV [RFC4106]");
  CHECK(find_keyword(TransformKind::encr, "aes256gcm16") == gcm);

  CHECK(find_transform(TransformKind::encr, 12, 128)->keyword == "aes128");
  CHECK(find_transform(TransformKind::encr, 12, 0) == nullptr);
  CHECK(find_transform(TransformKind::encr, 28)->keyword == "chacha20poly1305");
  CHECK(find_transform(TransformKind::integ, 12)->icv_len == 16);
  CHECK(find_transform(TransformKind::integ, 12)->wireshark_name == "HMAC_SHA2_256_128 [RFC4868]");
  CHECK(find_transform(TransformKind::prf, 5)->keyword == "prfsha256");
  CHECK(find_transform(TransformKind::ke, 2)->opt_in);
  CHECK_FALSE(find_transform(TransformKind::ke, 14)->opt_in);
  CHECK(find_transform(TransformKind::ke, 21)->out_len == 132); // RFC 5903 7: 2 * 66
  CHECK(find_transform(TransformKind::ke, 31)->keyword == "x25519");
  CHECK(find_transform(TransformKind::esn, 1)->keyword == "esn");
  CHECK(find_keyword(TransformKind::prf, "sha256") == nullptr);
  CHECK(transform_kind_name(TransformKind::ke) == "ke");
}

TEST_CASE("suite: keywords are unique and (kind, id, key_bits) is a key", "[crypto][suite]") {
  std::set<std::string> keywords;
  std::set<std::tuple<int, int, int>> ids;
  for (const auto& t : all_transforms()) {
    CHECK(keywords.insert(std::string(t.keyword)).second);
    CHECK(ids.insert({int(t.kind), t.id, t.key_bits}).second);
    CHECK(find_keyword(t.keyword) == &t);
    if (t.aead) CHECK(t.salt_len == (t.id >= 14 && t.id <= 16 ? 3 : 4)); // CCM: 3 (RFC 4309)
  }
}
