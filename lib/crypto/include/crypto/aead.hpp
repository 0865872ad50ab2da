// AEAD (AES-GCM RFC 4106/5282, ChaCha20-Poly1305 RFC 7634, AES-CCM RFC 4309/5282) sealing
// and opening in place.
// The EVP cipher is fetched and the key set once per instance; each call sets only
// the nonce, so one Aead per SA direction is reused for every packet.
#pragma once

#include "base/bytes.hpp"
#include "base/result.hpp"
#include "crypto/suite.hpp"

#include <memory>

namespace ikekit::crypto {

class Aead {
public:
  // key_and_salt: the KEYMAT slice, key || salt (salt_len bytes), as `ip xfrm` takes it.
  // `use`: encrypt only keys no context for open() (it fails), decrypt only none for seal().
  static Result<Aead> create(const TransformInfo& encr, ByteView key_and_salt,
                             CipherUse use = CipherUse::both);

  Aead(Aead&&) noexcept;
  Aead& operator=(Aead&&) noexcept;
  ~Aead();

  const TransformInfo& info() const { return *info_; }

  // Nonce is salt || iv (iv is the explicit iv_len-byte IV from the wire; salt 4 bytes, 3 CCM).
  // seal: encrypts `inout` in place and writes icv_len bytes into `icv`.
  Result<void> seal(ByteView iv, ByteView aad, MutBytes inout, MutBytes icv);
  // open: decrypts `inout` in place; Errc::integrity when the tag does not verify
  // (then `inout` content is unspecified).
  Result<void> open(ByteView iv, ByteView aad, MutBytes inout, ByteView icv);

  // Whether `encr` is an AEAD this class handles and `key_and_salt` has its length.
  static Result<void> check(const TransformInfo& encr, ByteView key_and_salt);
  // Keying::per_call (suite.hpp): seal or open with this thread's context for `encr`,
  // keyed with `key_and_salt` for this call only; the caller keeps no OpenSSL state.
  static Result<void> seal_with(const TransformInfo& encr, ByteView key_and_salt, ByteView iv,
                                ByteView aad, MutBytes inout, MutBytes icv);
  static Result<void> open_with(const TransformInfo& encr, ByteView key_and_salt, ByteView iv,
                                ByteView aad, MutBytes inout, ByteView icv);

private:
  struct Impl;
  explicit Aead(std::unique_ptr<Impl> impl, const TransformInfo* info);
  std::unique_ptr<Impl> impl_;
  const TransformInfo* info_;
};

} // namespace ikekit::crypto
