#include "wire/transform_keyword.hpp"

#include <cctype>
#include <string_view>

namespace ikekit::wire {
namespace {

// One ENCR keyword: `stem` + key length (when `keyed`) + `suffix`; e.g. aes + 128 + gcm16.
struct EncrKeyword {
  uint16_t id;
  std::string_view stem;
  bool keyed;
  std::string_view suffix;
};

// strongSwan's proposal keywords (src/libstrongswan/crypto/proposal) for the IANA
// "Transform Type 1" registry; IDs strongSwan has no keyword for fall back below.
constexpr EncrKeyword kEncr[] = {
    {2, "des", false, ""},           {3, "3des", false, ""},
    {6, "cast", true, ""},           {7, "blowfish", true, ""},
    {11, "null", false, ""},         {12, "aes", true, ""},
    {13, "aes", true, "ctr"},        {14, "aes", true, "ccm8"},
    {15, "aes", true, "ccm12"},      {16, "aes", true, "ccm16"},
    {18, "aes", true, "gcm8"},       {19, "aes", true, "gcm12"},
    {20, "aes", true, "gcm16"},      {21, "aes", true, "gmac"},
    {23, "camellia", true, ""},      {24, "camellia", true, "ctr"},
    {25, "camellia", true, "ccm8"},  {26, "camellia", true, "ccm12"},
    {27, "camellia", true, "ccm16"}, {28, "chacha20poly1305", false, ""},
};

struct Keyword {
  uint16_t id;
  std::string_view name;
};

constexpr Keyword kPrf[] = {
    {1, "prfmd5"},    {2, "prfsha1"},   {4, "prfaesxcbc"}, {5, "prfsha256"},
    {6, "prfsha384"}, {7, "prfsha512"}, {8, "prfaescmac"},
};

constexpr Keyword kInteg[] = {
    {1, "md5"},     {2, "sha1"},    {5, "aesxcbc"}, {6, "md5_128"}, {7, "sha1_160"},
    {8, "aescmac"}, {12, "sha256"}, {13, "sha384"}, {14, "sha512"},
};

constexpr Keyword kKe[] = {
    {0, "none"},          {1, "modp768"},       {2, "modp1024"},      {5, "modp1536"},
    {14, "modp2048"},     {15, "modp3072"},     {16, "modp4096"},     {17, "modp6144"},
    {18, "modp8192"},     {19, "ecp256"},       {20, "ecp384"},       {21, "ecp521"},
    {22, "modp1024s160"}, {23, "modp2048s224"}, {24, "modp2048s256"}, {25, "ecp192"},
    {26, "ecp224"},       {27, "ecp224bp"},     {28, "ecp256bp"},     {29, "ecp384bp"},
    {30, "ecp512bp"},     {31, "x25519"},       {32, "x448"},         {35, "mlkem512"},
    {36, "mlkem768"},     {37, "mlkem1024"},
};

constexpr Keyword kEsn[] = {{0, "noesn"}, {1, "esn"}};

template <size_t N> std::string_view find(const Keyword (&table)[N], uint16_t id) {
  for (const auto& k : table)
    if (k.id == id) return k.name;
  return {};
}

std::string encr_keyword(const Transform& t) {
  for (const auto& k : kEncr) {
    if (k.id != t.id) continue;
    std::string s(k.stem);
    if (auto kl = t.key_length(); k.keyed && kl) s += std::to_string(*kl);
    s += k.suffix;
    return s;
  }
  return {};
}

bool is_additional_ke(TransformType type) {
  return uint8_t(type) >= 6 && uint8_t(type) <= 12; // ADDKE1..7 (RFC 9370)
}

// The IANA name without its registry prefix, in lower case: the fallback for
// assigned values strongSwan has no keyword for (ENCR_RC5 -> "rc5").
std::string iana_fallback(const Transform& t) {
  std::string_view name = transform_id_name(t.type, t.id);
  for (std::string_view prefix : {"ENCR_", "PRF_", "AUTH_"})
    if (name.substr(0, prefix.size()) == prefix) name.remove_prefix(prefix.size());
  // strongSwan's PRF keywords all start with "prf" (prfsha256): keep that marker.
  std::string s = t.type == TransformType::prf && !name.empty() ? "prf" : "";
  for (char c : name)
    s += char(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

} // namespace

std::string transform_keyword(const Transform& t) {
  std::string s;
  switch (t.type) {
  case TransformType::encr:
    s = encr_keyword(t);
    break;
  case TransformType::prf:
    s = find(kPrf, t.id);
    break;
  case TransformType::integ:
    s = t.id == 0 ? "none" : std::string(find(kInteg, t.id));
    break;
  case TransformType::ke:
    s = find(kKe, t.id);
    break;
  case TransformType::esn:
    s = find(kEsn, t.id);
    break;
  default:
    if (is_additional_ke(t.type)) s = find(kKe, t.id);
    break;
  }
  return s.empty() ? iana_fallback(t) : s;
}

std::string transform_keyword_or_number(const Transform& t) {
  if (auto s = transform_keyword(t); !s.empty()) return s;
  std::string_view type = transform_type_name(t.type);
  std::string s = (type.empty() ? "TYPE" + std::to_string(uint8_t(t.type)) : std::string(type)) +
                  ":" + std::to_string(t.id);
  if (auto kl = t.key_length()) s += "/" + std::to_string(*kl);
  return s;
}

} // namespace ikekit::wire
