// Protection of the Encrypted (SK) and Encrypted Fragment (SKF) payloads:
// RFC 7296 3.14 (block cipher + integrity), RFC 5282 (AES-GCM), RFC 7634
// (ChaCha20-Poly1305), RFC 5930 (AES-CTR), RFC 7383 2.5 (SKF).
//
// Layout of the payload, offsets relative to `sk_offset` (the generic payload header):
//
//   0  Next Payload | C | RESERVED | Payload Length (2)
//   4  [SKF only: Fragment Number (2) | Total Fragments (2)]
//   h  Initialization Vector (iv_len)
//      Encrypted: inner payloads | Padding | Pad Length (1)
//      Integrity Checksum Data (icv_len)
//
// h = 4 (SK) or 8 (SKF). `message` always starts at the IKE header (no non-ESP marker).
// Integrity: CBC/CTR + MAC covers message[0 .. start of ICV) (RFC 7296 3.14); AEAD uses
// AAD = message[0 .. start of IV), i.e. the IKE header, the payloads before SK, the SK
// generic header and for SKF the fragment fields (RFC 5282 5.1, RFC 7383 2.5.3).
#pragma once

#include "base/bytes.hpp"
#include "base/result.hpp"
#include "base/rng.hpp"
#include "base/secret_bytes.hpp"
#include "crypto/aead.hpp"
#include "crypto/cbc_hmac.hpp"
#include "crypto/suite.hpp"

#include <cstdint>
#include <memory>
#include <optional>

namespace ikekit::crypto {

class SkCrypter {
public:
  // One per IKE SA direction: (SK_ei, SK_ai) for messages the initiator sends,
  // (SK_er, SK_ar) for the responder's. integ is null (and sk_a empty) for an AEAD.
  // `use`: CipherUse::encrypt for a crypter that only seals (open() fails), decrypt for
  // one that only opens: one OpenSSL cipher context instead of two.
  // `keying`: per_call keeps SK_e (and SK_a) without OpenSSL contexts (suite.hpp Keying).
  static Result<SkCrypter> create(const TransformInfo& encr, ByteView sk_e,
                                  const TransformInfo* integ, ByteView sk_a,
                                  CipherUse use = CipherUse::both,
                                  Keying keying = Keying::own_contexts);

  SkCrypter(SkCrypter&&) noexcept;
  SkCrypter& operator=(SkCrypter&&) noexcept;
  ~SkCrypter();

  const TransformInfo& encr() const { return *encr_; }
  const TransformInfo* integ() const { return integ_; }
  size_t icv_len() const { return icv_len_; }

  // Bytes between the SK payload start and the first plaintext byte: 4 (+4 SKF) + iv_len.
  size_t plaintext_offset(bool fragment) const;
  // Payload Length of an SK/SKF payload carrying `plaintext_len` inner bytes.
  size_t sealed_size(size_t plaintext_len, bool fragment) const;

  // Seals in place. Before the call `message` holds the IKE header, any payloads before
  // SK, the SK generic header (Next Payload set by the caller) [and the SKF fragment
  // fields], and at sk_offset + plaintext_offset() the `plaintext_len` inner bytes;
  // message.size() >= sk_offset + sealed_size(). seal writes the IV, padding, Pad Length,
  // encrypts, writes the SK Payload Length and the IKE header Length (offset 24, set to
  // sk_offset + sealed_size: SK is the last payload, RFC 7296 3.14), then the ICV.
  // Returns the total message length. CBC IVs come from `rng` (RFC 7296 3.14: unpredictable);
  // AEAD and CTR IVs are a per-crypter counter (RFC 5282 3.1 / RFC 5930 4: never repeat).
  Result<size_t> seal(MutBytes message, size_t sk_offset, size_t plaintext_len, bool fragment,
                      Rng& rng);

  // Verifies and decrypts in place. `sk_len` is the SK/SKF Payload Length from its
  // header (message[sk_offset .. sk_offset + sk_len) must exist). Returns a view of the
  // inner payload bytes inside `message` (padding and Pad Length stripped).
  // Errors: Errc::integrity (field "sk.icv"), Errc::truncated / Errc::bad_length with
  // fields "sk.iv", "sk.icv", "sk.encrypted", "sk.pad_length".
  Result<MutBytes> open(MutBytes message, size_t sk_offset, size_t sk_len, bool fragment);

private:
  struct Own; // Keying::own_contexts: the Aead, or the Cipher and the Integ
  SkCrypter(const TransformInfo* encr, const TransformInfo* integ, CipherUse use);
  Result<void> encrypt(ByteView iv, ByteView aad, MutBytes enc, MutBytes icv, ByteView covered);
  Result<void> decrypt(ByteView iv, ByteView aad, MutBytes enc, ByteView icv, ByteView covered);
  ByteView sk_e() const;
  ByteView sk_a() const;

  const TransformInfo* encr_;
  const TransformInfo* integ_;
  SecretBytes keys_;         // Keying::per_call: SK_e || SK_a
  std::unique_ptr<Own> own_; // Keying::own_contexts
  uint64_t iv_counter_ = 0;
  uint8_t icv_len_; // the AEAD tag, or the integ transform's truncated MAC
  CipherUse use_;
};

} // namespace ikekit::crypto
