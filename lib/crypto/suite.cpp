// The transform table. Sources: IANA "IKEv2 Parameters" registry (ids and names),
// RFC 2451 (3DES-CBC), RFC 3602 (AES-CBC), RFC 4309/5282 (AES-CCM: 3-byte salt after the
// key, 8-byte IV, 11-byte nonce), RFC 3686/5930 (AES-CTR: 4-byte nonce after the key), RFC
// 4106/5282 (AES-GCM: 4-byte salt after the key, 8-byte IV), RFC 7634 (ChaCha20-Poly1305), RFC 2404
// / RFC 4868 (HMAC integrity and PRFs), RFC 3566/4434 (AES-XCBC), RFC 4494/4615 (AES-CMAC), RFC
// 2409/3526 (MODP), RFC 5903 (ECP), RFC 8031 (Curve25519/448), RFC 7296 3.3.2 (ESN). Wireshark
// names: epan/dissectors/packet-isakmp.c (IKEv2 decryption table) and packet-esp.c (esp_sa table),
// as also written by strongSwan's save-keys plugin.
#include "crypto/suite.hpp"

namespace ikekit::crypto {

namespace {

using K = TransformKind;

// clang-format off
constexpr TransformInfo kTable[] = {
  // kind     id  bits keyword         iana_name                    openssl_name          wireshark_name (IKEv2)                       key salt icv iv blk out  aead   opt_in esp_wireshark_name
  // --- ENCR (RFC 7296 3.3.2 type 1) ---
  // 3DES: 192-bit key, 64-bit block and IV (RFC 2451 2.2, 2.3); decode only.
  {K::encr,    3,   0, "3des",         "ENCR_3DES",                 "DES-EDE3-CBC",       "3DES [RFC2451]",                            24, 0,  0,  8,  8, 0, false, false, "TripleDES-CBC [RFC2451]", true},
  {K::encr,   12, 128, "aes128",       "ENCR_AES_CBC",              "AES-128-CBC",        "AES-CBC-128 [RFC3602]",                     16, 0,  0, 16, 16, 0, false, false, "AES-CBC [RFC3602]"},
  {K::encr,   12, 192, "aes192",       "ENCR_AES_CBC",              "AES-192-CBC",        "AES-CBC-192 [RFC3602]",                     24, 0,  0, 16, 16, 0, false, false, "AES-CBC [RFC3602]"},
  {K::encr,   12, 256, "aes256",       "ENCR_AES_CBC",              "AES-256-CBC",        "AES-CBC-256 [RFC3602]",                     32, 0,  0, 16, 16, 0, false, false, "AES-CBC [RFC3602]"},
  {K::encr,   13, 128, "aes128ctr",    "ENCR_AES_CTR",              "AES-128-CTR",        "AES-CTR-128 [RFC5930]",                     16, 4,  0,  8,  1, 0, false, false, "AES-CTR [RFC3686]"},
  {K::encr,   13, 192, "aes192ctr",    "ENCR_AES_CTR",              "AES-192-CTR",        "AES-CTR-192 [RFC5930]",                     24, 4,  0,  8,  1, 0, false, false, "AES-CTR [RFC3686]"},
  {K::encr,   13, 256, "aes256ctr",    "ENCR_AES_CTR",              "AES-256-CTR",        "AES-CTR-256 [RFC5930]",                     32, 4,  0,  8,  1, 0, false, false, "AES-CTR [RFC3686]"},
  {K::encr,   18, 128, "aes128gcm8",   "ENCR_AES_GCM_8",            "AES-128-GCM",        "AES-GCM-128 with 8 octet ICV [RFC5282]",    16, 4,  8,  8,  1, 0, true,  false, "AES-GCM with 8 octet ICV [RFC4106]"},
  {K::encr,   18, 192, "aes192gcm8",   "ENCR_AES_GCM_8",            "AES-192-GCM",        "AES-GCM-192 with 8 octet ICV [RFC5282]",    24, 4,  8,  8,  1, 0, true,  false, "AES-GCM with 8 octet ICV [RFC4106]"},
  {K::encr,   18, 256, "aes256gcm8",   "ENCR_AES_GCM_8",            "AES-256-GCM",        "AES-GCM-256 with 8 octet ICV [RFC5282]",    32, 4,  8,  8,  1, 0, true,  false, "AES-GCM with 8 octet ICV [RFC4106]"},
  {K::encr,   19, 128, "aes128gcm12",  "ENCR_AES_GCM_12",           "AES-128-GCM",        "AES-GCM-128 with 12 octet ICV [RFC5282]",   16, 4, 12,  8,  1, 0, true,  false, "AES-GCM with 12 octet ICV [RFC4106]"},
  {K::encr,   19, 192, "aes192gcm12",  "ENCR_AES_GCM_12",           "AES-192-GCM",        "AES-GCM-192 with 12 octet ICV [RFC5282]",   24, 4, 12,  8,  1, 0, true,  false, "AES-GCM with 12 octet ICV [RFC4106]"},
  {K::encr,   19, 256, "aes256gcm12",  "ENCR_AES_GCM_12",           "AES-256-GCM",        "AES-GCM-256 with 12 octet ICV [RFC5282]",   32, 4, 12,  8,  1, 0, true,  false, "AES-GCM with 12 octet ICV [RFC4106]"},
  {K::encr,   20, 128, "aes128gcm16",  "ENCR_AES_GCM_16",           "AES-128-GCM",        "AES-GCM-128 with 16 octet ICV [RFC5282]",   16, 4, 16,  8,  1, 0, true,  false, "AES-GCM with 16 octet ICV [RFC4106]"},
  {K::encr,   20, 192, "aes192gcm16",  "ENCR_AES_GCM_16",           "AES-192-GCM",        "AES-GCM-192 with 16 octet ICV [RFC5282]",   24, 4, 16,  8,  1, 0, true,  false, "AES-GCM with 16 octet ICV [RFC4106]"},
  {K::encr,   20, 256, "aes256gcm16",  "ENCR_AES_GCM_16",           "AES-256-GCM",        "AES-GCM-256 with 16 octet ICV [RFC5282]",   32, 4, 16,  8,  1, 0, true,  false, "AES-GCM with 16 octet ICV [RFC4106]"},
  // AES-CCM (RFC 4309 ESP, RFC 5282 IKEv2): key || 3-byte salt; Wireshark's esp_sa table has
  // no CCM. Decode only.
  {K::encr,   14, 128, "aes128ccm8",   "ENCR_AES_CCM_8",            "AES-128-CCM",        "AES-CCM-128 with 8 octet ICV [RFC5282]",    16, 3,  8,  8,  1, 0, true,  false, "",  true},
  {K::encr,   14, 192, "aes192ccm8",   "ENCR_AES_CCM_8",            "AES-192-CCM",        "AES-CCM-192 with 8 octet ICV [RFC5282]",    24, 3,  8,  8,  1, 0, true,  false, "",  true},
  {K::encr,   14, 256, "aes256ccm8",   "ENCR_AES_CCM_8",            "AES-256-CCM",        "AES-CCM-256 with 8 octet ICV [RFC5282]",    32, 3,  8,  8,  1, 0, true,  false, "",  true},
  {K::encr,   15, 128, "aes128ccm12",  "ENCR_AES_CCM_12",           "AES-128-CCM",        "AES-CCM-128 with 12 octet ICV [RFC5282]",   16, 3, 12,  8,  1, 0, true,  false, "",  true},
  {K::encr,   15, 192, "aes192ccm12",  "ENCR_AES_CCM_12",           "AES-192-CCM",        "AES-CCM-192 with 12 octet ICV [RFC5282]",   24, 3, 12,  8,  1, 0, true,  false, "",  true},
  {K::encr,   15, 256, "aes256ccm12",  "ENCR_AES_CCM_12",           "AES-256-CCM",        "AES-CCM-256 with 12 octet ICV [RFC5282]",   32, 3, 12,  8,  1, 0, true,  false, "",  true},
  {K::encr,   16, 128, "aes128ccm16",  "ENCR_AES_CCM_16",           "AES-128-CCM",        "AES-CCM-128 with 16 octet ICV [RFC5282]",   16, 3, 16,  8,  1, 0, true,  false, "",  true},
  {K::encr,   16, 192, "aes192ccm16",  "ENCR_AES_CCM_16",           "AES-192-CCM",        "AES-CCM-192 with 16 octet ICV [RFC5282]",   24, 3, 16,  8,  1, 0, true,  false, "",  true},
  {K::encr,   16, 256, "aes256ccm16",  "ENCR_AES_CCM_16",           "AES-256-CCM",        "AES-CCM-256 with 16 octet ICV [RFC5282]",   32, 3, 16,  8,  1, 0, true,  false, "",  true},
  // RFC 7634: no Key Length attribute; Wireshark's IKEv2 table has no ChaCha20 row.
  {K::encr,   28,   0, "chacha20poly1305", "ENCR_CHACHA20_POLY1305", "ChaCha20-Poly1305", "",                                          32, 4, 16,  8,  1, 0, true,  false, "ChaCha20 with Poly1305 [RFC7634]"},
  // --- INTEG (type 3); key_len per RFC 2404/4868/3566/4494, icv_len the truncation ---
  {K::integ,   2,   0, "sha1",         "AUTH_HMAC_SHA1_96",         "SHA1",               "HMAC_SHA1_96 [RFC2404]",                    20, 0, 12,  0,  0, 20, false, false, "HMAC-SHA-1-96 [RFC2404]"},
  {K::integ,   5,   0, "aesxcbc",      "AUTH_AES_XCBC_96",          "AES-128-ECB",        "",                                          16, 0, 12,  0,  0, 16, false, false, ""},
  {K::integ,   8,   0, "aescmac",      "AUTH_AES_CMAC_96",          "AES-128-CBC",        "",                                          16, 0, 12,  0,  0, 16, false, false, ""},
  {K::integ,  12,   0, "sha256",       "AUTH_HMAC_SHA2_256_128",    "SHA256",             "HMAC_SHA2_256_128 [RFC4868]",               32, 0, 16,  0,  0, 32, false, false, "HMAC-SHA-256-128 [RFC4868]"},
  {K::integ,  13,   0, "sha384",       "AUTH_HMAC_SHA2_384_192",    "SHA384",             "HMAC_SHA2_384_192 [RFC4868]",               48, 0, 24,  0,  0, 48, false, false, "HMAC-SHA-384-192 [RFC4868]"},
  {K::integ,  14,   0, "sha512",       "AUTH_HMAC_SHA2_512_256",    "SHA512",             "HMAC_SHA2_512_256 [RFC4868]",               64, 0, 32,  0,  0, 64, false, false, "HMAC-SHA-512-256 [RFC4868]"},
  // --- PRF (type 2); key_len is the preferred key size (RFC 7296 2.13), out_len the output ---
  {K::prf,     2,   0, "prfsha1",      "PRF_HMAC_SHA1",             "SHA1",               "",                                          20, 0,  0,  0,  0, 20, false, false},
  {K::prf,     4,   0, "prfaesxcbc",   "PRF_AES128_XCBC",           "AES-128-ECB",        "",                                          16, 0,  0,  0,  0, 16, false, false},
  {K::prf,     5,   0, "prfsha256",    "PRF_HMAC_SHA2_256",         "SHA256",             "",                                          32, 0,  0,  0,  0, 32, false, false},
  {K::prf,     6,   0, "prfsha384",    "PRF_HMAC_SHA2_384",         "SHA384",             "",                                          48, 0,  0,  0,  0, 48, false, false},
  {K::prf,     7,   0, "prfsha512",    "PRF_HMAC_SHA2_512",         "SHA512",             "",                                          64, 0,  0,  0,  0, 64, false, false},
  {K::prf,     8,   0, "prfaescmac",   "PRF_AES128_CMAC",           "AES-128-CBC",        "",                                          16, 0,  0,  0,  0, 16, false, false},
  // --- KE (type 4); out_len is the KE payload's public value length ---
  // MODP-1024 (RFC 2409 group 2): decode and explicit opt-in only. OpenSSL 3.0 has no
  // named group for it, so kex builds it from BN_get_rfc2409_prime_1024.
  {K::ke,      2,   0, "modp1024",     "1024-bit MODP Group",       "",                   "",                                           0, 0,  0,  0,  0, 128, false, true},
  {K::ke,     14,   0, "modp2048",     "2048-bit MODP Group",       "modp_2048",          "",                                           0, 0,  0,  0,  0, 256, false, false},
  {K::ke,     15,   0, "modp3072",     "3072-bit MODP Group",       "modp_3072",          "",                                           0, 0,  0,  0,  0, 384, false, false},
  {K::ke,     16,   0, "modp4096",     "4096-bit MODP Group",       "modp_4096",          "",                                           0, 0,  0,  0,  0, 512, false, false},
  {K::ke,     17,   0, "modp6144",     "6144-bit MODP Group",       "modp_6144",          "",                                           0, 0,  0,  0,  0, 768, false, false},
  {K::ke,     18,   0, "modp8192",     "8192-bit MODP Group",       "modp_8192",          "",                                           0, 0,  0,  0,  0, 1024, false, false},
  {K::ke,     19,   0, "ecp256",       "256-bit random ECP group",  "P-256",              "",                                           0, 0,  0,  0,  0, 64, false, false},
  {K::ke,     20,   0, "ecp384",       "384-bit random ECP group",  "P-384",              "",                                           0, 0,  0,  0,  0, 96, false, false},
  {K::ke,     21,   0, "ecp521",       "521-bit random ECP group",  "P-521",              "",                                           0, 0,  0,  0,  0, 132, false, false},
  {K::ke,     31,   0, "x25519",       "Curve25519",                "X25519",             "",                                           0, 0,  0,  0,  0, 32, false, false},
  {K::ke,     32,   0, "x448",         "Curve448",                  "X448",               "",                                           0, 0,  0,  0,  0, 56, false, false},
  // --- ESN (type 5) ---
  {K::esn,     0,   0, "noesn",        "No Extended Sequence Numbers", "",                "",                                           0, 0,  0,  0,  0, 0, false, false},
  {K::esn,     1,   0, "esn",          "Extended Sequence Numbers", "",                   "",                                           0, 0,  0,  0,  0, 0, false, false},
};
// clang-format on

} // namespace

std::string_view transform_kind_name(TransformKind kind) {
  switch (kind) {
  case TransformKind::encr:
    return "encr";
  case TransformKind::prf:
    return "prf";
  case TransformKind::integ:
    return "integ";
  case TransformKind::ke:
    return "ke";
  case TransformKind::esn:
    return "esn";
  }
  return "unknown";
}

std::span<const TransformInfo> all_transforms() { return kTable; }

const TransformInfo* find_transform(TransformKind kind, uint16_t id, uint16_t key_bits) {
  for (const auto& t : kTable)
    if (t.kind == kind && t.id == id && t.key_bits == key_bits) return &t;
  return nullptr;
}

const TransformInfo* find_keyword(TransformKind kind, std::string_view keyword) {
  for (const auto& t : kTable)
    if (t.kind == kind && t.keyword == keyword) return &t;
  return nullptr;
}

const TransformInfo* find_keyword(std::string_view keyword) {
  for (const auto& t : kTable)
    if (t.keyword == keyword) return &t;
  return nullptr;
}

} // namespace ikekit::crypto
