// The crypto contexts of one ESP SA direction, created once and reused for every
// packet: an AEAD (RFC 4106 / RFC 7634), or a cipher plus an integrity transform
// (RFC 3602 / RFC 3686 with RFC 4868 / RFC 2404). Works on a laid-out ESP packet
// (header, IV, ciphertext, ICV); EspSaOut and EspSaIn own the framing.
#pragma once

#include "base/bytes.hpp"
#include "base/result.hpp"
#include "crypto/aead.hpp"
#include "crypto/cbc_hmac.hpp"
#include "crypto/suite.hpp"

#include <cstdint>
#include <optional>

namespace ikekit::esp {

enum class CryptoStatus : uint8_t { ok, bad_icv, error };

class SaCrypto {
public:
  SaCrypto() = default;
  // Checks the transforms and key sizes; error fields are "encr", "encr_key", "integ", ...
  static Result<SaCrypto> create(const crypto::TransformInfo* encr, ByteView encr_key,
                                 const crypto::TransformInfo* integ, ByteView integ_key);

  bool aead() const { return aead_.has_value(); }

  // `packet` is ESP header (8) || IV (iv_len) || plaintext || ICV space (icv_len).
  // Encrypts the plaintext in place and writes the ICV. With ESN the high half of
  // the sequence number joins the AAD (RFC 4106 5) or the ICV input (RFC 4303 2.2.1).
  CryptoStatus seal(MutBytes packet, size_t iv_len, size_t icv_len, bool esn, uint32_t seq_hi);
  // The reverse: verifies the ICV, then decrypts in place (for CBC/CTR the ICV is
  // checked before anything is decrypted, RFC 4303 3.4.4.1).
  CryptoStatus open(MutBytes packet, size_t iv_len, size_t icv_len, bool esn, uint32_t seq_hi);

private:
  std::optional<crypto::Aead> aead_;
  std::optional<crypto::Cipher> cipher_;
  std::optional<crypto::Integ> integ_;
};

} // namespace ikekit::esp
