// The one algorithm table (DESIGN 3, "Crypto"): every fact about a transform that
// negotiation, key derivation, ESP, decode and JSON need lives in one row here.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace ikekit::crypto {

// IANA IKEv2 transform types (RFC 7296 3.3.2).
enum class TransformKind : uint8_t { encr = 1, prf = 2, integ = 3, ke = 4, esn = 5 };

std::string_view transform_kind_name(TransformKind kind); // "encr", "prf", ...

// Which way a cipher instance works. Each direction costs one OpenSSL context (about
// 1 KiB for AES-GCM): an IKE SA's outbound crypter only seals and its inbound one only
// opens, so each keys one context, not two.
enum class CipherUse : uint8_t { both, encrypt, decrypt };

// Where a cipher instance keeps its key. own_contexts: keyed once into OpenSSL contexts
// of its own (ESP: every packet). per_call: the key bytes only, set into a context this
// thread keeps per cipher and direction at each call: about 1 KiB less per direction,
// for an IKE SA's SK payloads (a message now and then, at a million SAs; the key setup
// is well under a microsecond beside the ~15 us of handling the message).
enum class Keying : uint8_t { own_contexts, per_call };

struct TransformInfo {
  TransformKind kind;
  uint16_t id;                // IANA transform id
  uint16_t key_bits;          // Key Length attribute value; 0 when the transform has none
  std::string_view keyword;   // strongSwan proposal keyword: "aes256gcm16", "prfsha256", "x25519"
  std::string_view iana_name; // "ENCR_AES_GCM_16", "PRF_HMAC_SHA2_256", "Curve25519"
  std::string_view openssl_name;   // EVP name: "AES-256-GCM", "SHA256", "X25519", "ffdhe..."/group
  std::string_view wireshark_name; // algorithm string in Wireshark's key tables ("" if none)
  uint16_t key_len;                // bytes of key (encr: without salt; integ: key; prf: preferred)
  uint16_t salt_len;               // AEAD salt taken from KEYMAT after the key (4 for GCM/ChaCha20)
  uint16_t icv_len;                // AEAD tag or truncated MAC length on the wire
  uint16_t iv_len;     // explicit IV on the wire (8 GCM/CCM/CTR/ChaCha20/3DES, 16 AES-CBC)
  uint16_t block_size; // padding alignment of the plaintext (16 AES-CBC, 8 3DES, 1 AEAD/CTR)
  uint16_t out_len;    // prf output, full MAC output, or KE public value length
  bool aead;
  bool opt_in; // weak: used only when asked for explicitly (MODP-1024)
  // Wireshark's ESP SA table (esp_sa UAT) names the algorithms differently from its IKEv2
  // table: "AES-GCM with 16 octet ICV [RFC4106]", "HMAC-SHA-256-128 [RFC4868]" ("" if none).
  std::string_view esp_wireshark_name = {};
  // Read by ike-decode and by key files, never offered or accepted in negotiation:
  // transforms people still meet on old peers (3DES, RFC 2451) or that the engine does
  // not implement for negotiation (AES-CCM, RFC 4309/5282). parse_proposal refuses them.
  bool decode_only = false;
};

std::span<const TransformInfo> all_transforms();
// By IANA numbers; key_bits 0 matches a row without Key Length.
const TransformInfo* find_transform(TransformKind kind, uint16_t id, uint16_t key_bits = 0);
// By strongSwan keyword within one kind ("sha256" is integ, "prfsha256" prf).
const TransformInfo* find_keyword(TransformKind kind, std::string_view keyword);
// By strongSwan keyword in any kind (keywords are unique across kinds).
const TransformInfo* find_keyword(std::string_view keyword);

} // namespace ikekit::crypto
