// Key exchange (KE payload, RFC 7296 3.4): MODP groups (RFC 2409 6.2 group 2, RFC 3526),
// ECP groups (RFC 5903), Curve25519 / Curve448 (RFC 8031).
//
// Deterministic under a seeded Rng: the private key is drawn from the Rng the caller
// hands in (or given as raw bytes), never from OpenSSL's own generator.
//
// Public value encodings (the KE payload's Key Exchange Data):
//   MODP: g^x mod p, big-endian, left-padded to the modulus length (RFC 7296 3.4)
//   ECP:  x || y, each left-padded to the field length, no 0x04 prefix (RFC 5903 7)
//   X25519/X448: the 32/56-byte u-coordinate (RFC 8031 2)
// Shared secret g^ir: MODP padded to the modulus length (RFC 7296 2.14); ECP the x
// coordinate only (RFC 5903 7); X25519/X448 the raw output (RFC 8031 2).
#pragma once

#include "base/bytes.hpp"
#include "base/result.hpp"
#include "base/rng.hpp"
#include "base/secret_bytes.hpp"
#include "crypto/suite.hpp"

#include <memory>

namespace ikekit::crypto {

class KeyExchange {
public:
  // A fresh key pair whose private key is drawn from `rng`.
  static Result<KeyExchange> generate(const TransformInfo& ke, Rng& rng);
  // From a raw private key: MODP the exponent (big-endian, 1..modulus length bytes, not
  // zero); ECP the scalar (big-endian, field length, 1 <= d < n); X25519/X448 the
  // 32/56-byte scalar as RFC 7748 writes it.
  static Result<KeyExchange> from_private(const TransformInfo& ke, ByteView private_key);

  KeyExchange(KeyExchange&&) noexcept;
  KeyExchange& operator=(KeyExchange&&) noexcept;
  ~KeyExchange();

  const TransformInfo& info() const { return *info_; }
  ByteView public_value() const { return public_; }

  // g^ir from the peer's KE data. The peer value is validated: its length, MODP
  // 1 < y < p-1 (RFC 8247 2.4 / NIST SP 800-56A), ECP coordinates below p and the point
  // on the curve (RFC 5903 / RFC 6989 2.3), X25519/X448 a non-zero result (RFC 8031 2.3).
  // Errc::bad_length / Errc::bad_value with field "ke.data".
  Result<SecretBytes> shared_secret(ByteView peer_public) const;

private:
  struct Impl;
  Result<SecretBytes> xdh_shared_secret(ByteView peer_public) const; // X25519 / X448
  static Result<KeyExchange> xdh_from_private(const TransformInfo& ke, ByteView priv,
                                              std::unique_ptr<Impl> impl);
  KeyExchange(std::unique_ptr<Impl> impl, const TransformInfo* info, Bytes pub);
  std::unique_ptr<Impl> impl_;
  const TransformInfo* info_;
  Bytes public_;
};

} // namespace ikekit::crypto
