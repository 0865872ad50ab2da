// The IKEv2 pseudorandom function and prf+ (RFC 7296 2.13): HMAC-SHA1/SHA2 (RFC 2104,
// RFC 4868), AES-XCBC-PRF-128 (RFC 4434) and AES-CMAC-PRF-128 (RFC 4615).
#pragma once

#include "base/bytes.hpp"
#include "base/result.hpp"
#include "base/secret_bytes.hpp"
#include "crypto/mac.hpp"
#include "crypto/suite.hpp"

#include <initializer_list>
#include <span>

namespace ikekit::crypto {

class Prf {
public:
  // Keys the prf once. HMAC takes any key length. AES-XCBC-PRF-128 (RFC 4434 2) zero-pads
  // a shorter key and replaces a longer one by AES-XCBC-MAC(0^128, key); AES-CMAC-PRF-128
  // (RFC 4615 3) replaces any key that is not 16 bytes by AES-CMAC(0^128, key).
  static Result<Prf> create(const TransformInfo& prf, ByteView key);

  const TransformInfo& info() const { return *info_; }
  size_t out_len() const { return mac_.size(); }

  // prf(K, parts...) into out (out.size() >= out_len(); writes out_len() bytes).
  Result<void> compute(std::span<const ByteView> parts, MutBytes out);
  Result<void> compute(std::initializer_list<ByteView> parts, MutBytes out) {
    return compute(std::span<const ByteView>(parts.begin(), parts.size()), out);
  }
  Result<SecretBytes> compute(std::initializer_list<ByteView> parts);

  // prf+ (K, S) = T1 | T2 | ..., Tn = prf(K, Tn-1 | S | n), n a single octet from 0x01;
  // the first `len` bytes. S is the concatenation of `seed`. At most 255 * out_len() bytes.
  Result<SecretBytes> plus(std::span<const ByteView> seed, size_t len);
  Result<SecretBytes> plus(std::initializer_list<ByteView> seed, size_t len) {
    return plus(std::span<const ByteView>(seed.begin(), seed.size()), len);
  }

private:
  Prf(Mac mac, const TransformInfo* info) : mac_(std::move(mac)), info_(info) {}
  Mac mac_;
  const TransformInfo* info_;
};

// One-shot conveniences.
Result<SecretBytes> prf(const TransformInfo& prf, ByteView key,
                        std::initializer_list<ByteView> data);
Result<SecretBytes> prf_plus(const TransformInfo& prf, ByteView key,
                             std::initializer_list<ByteView> seed, size_t len);

} // namespace ikekit::crypto
