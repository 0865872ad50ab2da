// The old primitives that EAP-MSCHAPv2 (RFC 2759) and RADIUS (RFC 2865, 2548, 3579) are
// built on: MD4, MD5, SHA-1, single DES and HMAC-MD5, one-shot, behind a small interface
// so lib/eap and lib/radius never include OpenSSL (DESIGN 2).
//
// MD4 and DES live in OpenSSL 3's legacy provider. It is loaded once per process, next
// to the default provider, the first time one of them is needed; when it is missing
// (a build without it, or OPENSSL_MODULES pointing elsewhere) the call returns
// Errc::environment saying so. The EVP objects are fetched once and never freed.
#pragma once

#include "base/bytes.hpp"
#include "base/result.hpp"

#include <initializer_list>
#include <span>

namespace ikekit::crypto {

inline constexpr size_t kMd4Size = 16;
inline constexpr size_t kMd5Size = 16;
inline constexpr size_t kSha1Size = 20;
inline constexpr size_t kDesKeySize = 8; // with parity bits
inline constexpr size_t kDesBlockSize = 8;

enum class LegacyDigest : uint8_t { md4, md5, sha1 };

// Digest of the concatenation of `parts`; out.size() must be at least the digest size.
Result<void> legacy_digest(LegacyDigest d, std::span<const ByteView> parts, MutBytes out);
inline Result<void> legacy_digest(LegacyDigest d, std::initializer_list<ByteView> parts,
                                  MutBytes out) {
  return legacy_digest(d, std::span<const ByteView>(parts.begin(), parts.size()), out);
}

// One DES-ECB block: out = DES(key, in). `key` is 8 bytes (parity ignored), `in` and
// `out` 8 bytes.
Result<void> des_encrypt_block(ByteView key, ByteView in, MutBytes out);

// HMAC-MD5 (RFC 2104) of the concatenation of `parts`; writes 16 bytes.
Result<void> hmac_md5(ByteView key, std::span<const ByteView> parts, MutBytes out);
inline Result<void> hmac_md5(ByteView key, std::initializer_list<ByteView> parts, MutBytes out) {
  return hmac_md5(key, std::span<const ByteView>(parts.begin(), parts.size()), out);
}

// Whether MD4 and DES are available (the legacy provider loads), with the reason if not.
Result<void> legacy_provider_available();

} // namespace ikekit::crypto
