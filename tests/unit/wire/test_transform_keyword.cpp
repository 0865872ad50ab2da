// Offered transforms are named the way strongSwan users write proposals, also
// the ones ikekit does not negotiate; only unassigned values stay numeric.
#include "wire/transform_keyword.hpp"

#include <catch2/catch.hpp>

using namespace ikekit::wire;

namespace {
Transform transform(TransformType type, uint16_t id, std::optional<uint16_t> key_length = {}) {
  Transform t;
  t.type = type;
  t.id = id;
  if (key_length)
    t.attributes.push_back({uint16_t(TransformAttr::key_length), true, *key_length, {}});
  return t;
}
} // namespace

TEST_CASE("transform keywords: strongSwan's names with the key length folded in",
          "[wire][transform_keyword]") {
  CHECK(transform_keyword(transform(TransformType::encr, 3)) == "3des");
  CHECK(transform_keyword(transform(TransformType::encr, 2)) == "des");
  CHECK(transform_keyword(transform(TransformType::encr, 12, 256)) == "aes256");
  CHECK(transform_keyword(transform(TransformType::encr, 20, 128)) == "aes128gcm16");
  CHECK(transform_keyword(transform(TransformType::encr, 14, 192)) == "aes192ccm8");
  CHECK(transform_keyword(transform(TransformType::encr, 7, 448)) == "blowfish448");
  CHECK(transform_keyword(transform(TransformType::encr, 6, 128)) == "cast128");
  CHECK(transform_keyword(transform(TransformType::encr, 25, 256)) == "camellia256ccm8");
  CHECK(transform_keyword(transform(TransformType::encr, 28)) == "chacha20poly1305");
  CHECK(transform_keyword(transform(TransformType::prf, 1)) == "prfmd5");
  CHECK(transform_keyword(transform(TransformType::prf, 4)) == "prfaesxcbc");
  CHECK(transform_keyword(transform(TransformType::integ, 1)) == "md5");
  CHECK(transform_keyword(transform(TransformType::integ, 2)) == "sha1");
  CHECK(transform_keyword(transform(TransformType::integ, 14)) == "sha512");
  CHECK(transform_keyword(transform(TransformType::ke, 2)) == "modp1024");
  CHECK(transform_keyword(transform(TransformType::ke, 5)) == "modp1536");
  CHECK(transform_keyword(transform(TransformType::ke, 22)) == "modp1024s160");
  CHECK(transform_keyword(transform(TransformType::ke, 30)) == "ecp512bp");
  CHECK(transform_keyword(transform(TransformType::ke, 36)) == "mlkem768");
  CHECK(transform_keyword(transform(TransformType::addke1, 36)) == "mlkem768");
  CHECK(transform_keyword(transform(TransformType::esn, 0)) == "noesn");
  CHECK(transform_keyword(transform(TransformType::esn, 1)) == "esn");
}

TEST_CASE("transform keywords: assigned values without a strongSwan keyword use the IANA name",
          "[wire][transform_keyword]") {
  CHECK(transform_keyword(transform(TransformType::encr, 4)) == "rc5");
  CHECK(transform_keyword(transform(TransformType::encr, 30)) == "aes_gcm_16_iiv");
  CHECK(transform_keyword(transform(TransformType::prf, 3)) == "prfhmac_tiger");
  CHECK(transform_keyword(transform(TransformType::integ, 3)) == "des_mac");
  CHECK(transform_keyword(transform(TransformType::ke, 33)) == "gost3410_2012_256");
}

TEST_CASE("transform keywords: unassigned values stay numeric", "[wire][transform_keyword]") {
  CHECK(transform_keyword(transform(TransformType::encr, 17)).empty());
  CHECK(transform_keyword_or_number(transform(TransformType::encr, 17)) == "ENCR:17");
  CHECK(transform_keyword_or_number(transform(TransformType::encr, 1000, 128)) == "ENCR:1000/128");
  CHECK(transform_keyword_or_number(transform(TransformType::ke, 3)) == "KE:3");
  CHECK(transform_keyword_or_number(transform(TransformType(200), 1)) == "TYPE200:1");
}
