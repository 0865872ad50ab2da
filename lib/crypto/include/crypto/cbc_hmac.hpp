// Non-AEAD protection: a block or stream cipher (AES-CBC, AES-CTR, 3DES-CBC) plus a separate
// integrity transform (HMAC-SHA1-96, HMAC-SHA2-*, AES-XCBC-96, AES-CMAC-96).
// Contexts are created once per SA direction and reused.
#pragma once

#include "base/bytes.hpp"
#include "base/result.hpp"
#include "crypto/suite.hpp"

#include <memory>

namespace ikekit::crypto {

class Cipher {
public:
  // key: for AES-CTR the KEYMAT slice is key || 4-byte nonce (RFC 3686/5930).
  // `use`: encrypt only keys no context for decrypt() (it fails), and the reverse.
  static Result<Cipher> create(const TransformInfo& encr, ByteView key,
                               CipherUse use = CipherUse::both);
  Cipher(Cipher&&) noexcept;
  Cipher& operator=(Cipher&&) noexcept;
  ~Cipher();
  const TransformInfo& info() const { return *info_; }

  // In place; for CBC `inout.size()` must be a multiple of block_size (Errc::bad_length otherwise).
  Result<void> encrypt(ByteView iv, MutBytes inout);
  Result<void> decrypt(ByteView iv, MutBytes inout);
  // Whether `encr` is a cipher this class handles and `key` has its length.
  static Result<void> check(const TransformInfo& encr, ByteView key);
  // Keying::per_call (suite.hpp): this thread's context for `encr`, keyed with `key` for
  // this call only.
  static Result<void> encrypt_with(const TransformInfo& encr, ByteView key, ByteView iv,
                                   MutBytes inout);
  static Result<void> decrypt_with(const TransformInfo& encr, ByteView key, ByteView iv,
                                   MutBytes inout);

private:
  struct Impl;
  Cipher(std::unique_ptr<Impl> impl, const TransformInfo* info);
  std::unique_ptr<Impl> impl_;
  const TransformInfo* info_;
};

class Integ {
public:
  static Result<Integ> create(const TransformInfo& integ, ByteView key);
  Integ(Integ&&) noexcept;
  Integ& operator=(Integ&&) noexcept;
  ~Integ();
  const TransformInfo& info() const { return *info_; }

  // MAC over a || b (b may be empty; ESP with ESN appends the high sequence bits),
  // truncated to icv_len bytes into `icv`.
  Result<void> compute(ByteView a, ByteView b, MutBytes icv);
  // Constant-time comparison; Errc::integrity on mismatch.
  Result<void> verify(ByteView a, ByteView b, ByteView icv);
  // Whether `integ` is an integrity transform and `key` has its length.
  static Result<void> check(const TransformInfo& integ, ByteView key);
  // Keying::per_call: the same with `key` on this thread's MAC context for `integ`.
  static Result<void> compute_with(const TransformInfo& integ, ByteView key, ByteView a, ByteView b,
                                   MutBytes icv);
  static Result<void> verify_with(const TransformInfo& integ, ByteView key, ByteView a, ByteView b,
                                  ByteView icv);

private:
  struct Impl;
  Integ(std::unique_ptr<Impl> impl, const TransformInfo* info);
  std::unique_ptr<Impl> impl_;
  const TransformInfo* info_;
};

} // namespace ikekit::crypto
