#include "decode/wireshark_names.hpp"

#include <cctype>
#include <string>

namespace ikekit::decode {

namespace {

using crypto::TransformInfo;
using crypto::TransformKind;

// packet-esp.c esp_encryption_type_vals / esp_authentication_type_vals (Wireshark 4.0).
struct EspName {
  TransformKind kind;
  uint16_t id; // IANA transform id
  std::string_view name;
};
constexpr EspName kEspNames[] = {
    {TransformKind::encr, 3, "TripleDES-CBC [RFC2451]"},
    {TransformKind::encr, 12, "AES-CBC [RFC3602]"},
    {TransformKind::encr, 13, "AES-CTR [RFC3686]"},
    {TransformKind::encr, 18, "AES-GCM with 8 octet ICV [RFC4106]"},
    {TransformKind::encr, 19, "AES-GCM with 12 octet ICV [RFC4106]"},
    {TransformKind::encr, 20, "AES-GCM with 16 octet ICV [RFC4106]"},
    {TransformKind::integ, 2, "HMAC-SHA-1-96 [RFC2404]"},
    {TransformKind::integ, 12, "HMAC-SHA-256-128 [RFC4868]"},
    {TransformKind::integ, 13, "HMAC-SHA-384-192 [RFC4868]"},
    {TransformKind::integ, 14, "HMAC-SHA-512-256 [RFC4868]"},
};

// Names older Wireshark versions and strongSwan's save-keys plugin write: "TripleDes-CBC"
// (a different case), and "AES-GCM [RFC4106]" for the 16-octet ICV.
bool same_name(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

// Without an ICV length from the authentication column, the common 16 octets.
std::string_view current_esp_name(std::string_view name) {
  if (esp_table_gcm_without_icv(name)) return "AES-GCM with 16 octet ICV [RFC4106]";
  return name;
}

} // namespace

bool esp_table_gcm_without_icv(std::string_view name) {
  return same_name(name, "AES-GCM [RFC4106]");
}

size_t esp_table_unchecked_icv(std::string_view name) {
  for (size_t bits : {64, 96, 128, 192, 256})
    if (same_name(name, "ANY " + std::to_string(bits) + " bit authentication [no checking]"))
      return bits / 8;
  return 0;
}

const TransformInfo* ikev2_table_transform(TransformKind kind, std::string_view name) {
  for (const auto& t : crypto::all_transforms())
    if (t.kind == kind && !t.wireshark_name.empty() && t.wireshark_name == name) return &t;
  return nullptr;
}

const TransformInfo* esp_table_transform(TransformKind kind, std::string_view name,
                                         size_t key_len) {
  name = current_esp_name(name);
  for (const auto& e : kEspNames) {
    if (e.kind != kind || !same_name(e.name, name)) continue;
    // The ESP table has no key size: pick the row whose key (+ salt) length matches.
    for (const auto& t : crypto::all_transforms())
      if (t.kind == kind && t.id == e.id && size_t(t.key_len) + t.salt_len == key_len) return &t;
    if (kind == TransformKind::integ) return crypto::find_transform(kind, e.id);
  }
  return nullptr;
}

std::string_view esp_table_name(const TransformInfo* t) {
  if (!t) return "NULL";
  for (const auto& e : kEspNames)
    if (e.kind == t->kind && e.id == t->id) return e.name;
  return "";
}

std::string_view ikev2_table_name(TransformKind kind, const TransformInfo* t) {
  if (!t) return kind == TransformKind::integ ? "NONE [RFC4306]" : "NULL [RFC2410]";
  return t->wireshark_name;
}

} // namespace ikekit::decode
