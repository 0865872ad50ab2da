// 3DES-CBC (RFC 2451), AES-CBC (RFC 3602), AES-CTR (RFC 3686 for ESP, RFC 5930 for IKEv2) and the
// truncated integrity transforms (RFC 2404, RFC 4868, RFC 3566, RFC 4494).
#include "crypto/cbc_hmac.hpp"

#include "crypto/fetched.hpp"
#include "crypto/mac.hpp"
#include "crypto/ossl.hpp"

#include <array>
#include <cstring>
#include <string>

namespace ikekit::crypto {

using detail::CipherCtxPtr;
using detail::ossl_error;

// ---------------------------------------------------------------- Cipher

struct Cipher::Impl {
  CipherCtxPtr enc;
  CipherCtxPtr dec;
  bool ctr = false;
  std::array<uint8_t, 4> nonce{}; // AES-CTR nonce from KEYMAT (RFC 3686 5.1)
  ~Impl() { OPENSSL_cleanse(nonce.data(), nonce.size()); }
};

Cipher::Cipher(std::unique_ptr<Impl> impl, const TransformInfo* info)
    : impl_(std::move(impl)), info_(info) {}
Cipher::Cipher(Cipher&&) noexcept = default;
Cipher& Cipher::operator=(Cipher&&) noexcept = default;
Cipher::~Cipher() = default;

namespace {

Result<void> check_cipher(const TransformInfo& encr, ByteView key) {
  // ENCR_3DES (3), ENCR_AES_CBC (12), ENCR_AES_CTR (13).
  if (encr.kind != TransformKind::encr || encr.aead ||
      (encr.id != 3 && encr.id != 12 && encr.id != 13))
    return make_error(Errc::unsupported, "encr",
                      std::string(encr.keyword) + ": not a CBC or CTR cipher");
  if (key.size() != size_t(encr.key_len) + encr.salt_len)
    return make_error(Errc::bad_length, "encr.key",
                      std::string(encr.keyword) + " needs " +
                          std::to_string(encr.key_len + encr.salt_len) + " bytes of key, got " +
                          std::to_string(key.size()));
  return {};
}

} // namespace

Result<void> Cipher::check(const TransformInfo& encr, ByteView key) {
  return check_cipher(encr, key);
}

Result<Cipher> Cipher::create(const TransformInfo& encr, ByteView key, CipherUse use) {
  if (auto ok = check_cipher(encr, key); !ok) return ok.error();
  auto impl = std::make_unique<Impl>();
  if (use != CipherUse::decrypt) {
    auto enc = detail::keyed_cipher_ctx(encr.openssl_name, key.data(), 1, true);
    if (!enc) return enc.error();
    impl->enc = std::move(*enc);
  }
  if (use != CipherUse::encrypt) {
    auto dec = detail::keyed_cipher_ctx(encr.openssl_name, key.data(), 0, true);
    if (!dec) return dec.error();
    impl->dec = std::move(*dec);
  }
  impl->ctr = encr.id == 13;
  if (impl->ctr) std::memcpy(impl->nonce.data(), key.data() + encr.key_len, 4);
  return Cipher(std::move(impl), &encr);
}

namespace {

Result<void> run_cipher(EVP_CIPHER_CTX* c, const TransformInfo& t, bool ctr,
                        const std::array<uint8_t, 4>& nonce, ByteView iv, MutBytes inout, int enc) {
  if (iv.size() != t.iv_len)
    return make_error(Errc::bad_length, "iv",
                      "expected " + std::to_string(t.iv_len) + " bytes, got " +
                          std::to_string(iv.size()));
  if (t.block_size > 1 && inout.size() % t.block_size != 0)
    return make_error(Errc::bad_length, "data",
                      std::to_string(inout.size()) + " bytes is not a multiple of the " +
                          std::to_string(t.block_size) + "-byte block");
  if (inout.size() > size_t(INT32_MAX)) return make_error(Errc::bad_length, "data", "too long");
  std::array<uint8_t, 16> block{};
  if (ctr) {
    // RFC 3686 4: counter block = nonce (4) || IV (8) || block counter (4) starting at 1.
    std::memcpy(block.data(), nonce.data(), 4);
    std::memcpy(block.data() + 4, iv.data(), 8);
    store_be32(block.data() + 12, 1);
  } else {
    std::memcpy(block.data(), iv.data(), iv.size()); // the block size: 16 AES, 8 3DES
  }
  int outl = 0;
  if (EVP_CipherInit_ex2(c, nullptr, nullptr, block.data(), enc, nullptr) != 1)
    return ossl_error("cipher", "set iv");
  if (!inout.empty() &&
      EVP_CipherUpdate(c, inout.data(), &outl, inout.data(), int(inout.size())) != 1)
    return ossl_error("cipher", enc ? "encrypt" : "decrypt");
  uint8_t tail[16];
  if (EVP_CipherFinal_ex(c, tail, &outl) != 1) return ossl_error("cipher", "final");
  return {};
}

} // namespace

Result<void> Cipher::encrypt(ByteView iv, MutBytes inout) {
  if (!impl_->enc) return make_error(Errc::unsupported, "cipher", "keyed for decryption only");
  return run_cipher(impl_->enc.get(), *info_, impl_->ctr, impl_->nonce, iv, inout, 1);
}

Result<void> Cipher::decrypt(ByteView iv, MutBytes inout) {
  if (!impl_->dec) return make_error(Errc::unsupported, "cipher", "keyed for encryption only");
  return run_cipher(impl_->dec.get(), *info_, impl_->ctr, impl_->nonce, iv, inout, 0);
}

namespace {

Result<detail::CipherCtxPtr> unkeyed_cipher_ctx(const TransformInfo& t, int enc) {
  return detail::keyed_cipher_ctx(t.openssl_name, nullptr, enc, true);
}

// Keying::per_call: this thread's context for `encr`, keyed with `key` now.
Result<void> run_with(const TransformInfo& encr, ByteView key, ByteView iv, MutBytes inout,
                      int enc) {
  if (auto ok = check_cipher(encr, key); !ok) return ok;
  auto c = detail::thread_cipher_ctx(encr, enc, unkeyed_cipher_ctx);
  if (!c) return c.error();
  if (EVP_CipherInit_ex2(*c, nullptr, key.data(), nullptr, enc, nullptr) != 1)
    return ossl_error("cipher", "set key");
  std::array<uint8_t, 4> nonce{};
  const bool ctr = encr.id == 13;
  if (ctr) std::memcpy(nonce.data(), key.data() + encr.key_len, 4);
  auto ok = run_cipher(*c, encr, ctr, nonce, iv, inout, enc);
  OPENSSL_cleanse(nonce.data(), nonce.size());
  return ok;
}

} // namespace

Result<void> Cipher::encrypt_with(const TransformInfo& encr, ByteView key, ByteView iv,
                                  MutBytes inout) {
  return run_with(encr, key, iv, inout, 1);
}

Result<void> Cipher::decrypt_with(const TransformInfo& encr, ByteView key, ByteView iv,
                                  MutBytes inout) {
  return run_with(encr, key, iv, inout, 0);
}

// ---------------------------------------------------------------- Integ

struct Integ::Impl {
  Mac mac;
};

Integ::Integ(std::unique_ptr<Impl> impl, const TransformInfo* info)
    : impl_(std::move(impl)), info_(info) {}
Integ::Integ(Integ&&) noexcept = default;
Integ& Integ::operator=(Integ&&) noexcept = default;
Integ::~Integ() = default;

namespace {

Result<void> check_integ(const TransformInfo& integ, ByteView key) {
  if (integ.kind != TransformKind::integ)
    return make_error(Errc::unsupported, "integ",
                      std::string(integ.keyword) + ": not an integrity transform");
  // RFC 2404 / RFC 4868 2.1.1 / RFC 3566 / RFC 4494: the key is exactly key_len bytes.
  if (key.size() != integ.key_len)
    return make_error(Errc::bad_length, "integ.key",
                      std::string(integ.keyword) + " needs " + std::to_string(integ.key_len) +
                          " bytes of key, got " + std::to_string(key.size()));
  return {};
}

Result<void> check_icv(const TransformInfo& integ, size_t icv_size) {
  if (icv_size != integ.icv_len)
    return make_error(Errc::bad_length, "icv",
                      "expected " + std::to_string(integ.icv_len) + " bytes, got " +
                          std::to_string(icv_size));
  return {};
}

Result<void> check_mac(ByteView full, ByteView icv) {
  if (CRYPTO_memcmp(full.data(), icv.data(), icv.size()) != 0)
    return make_error(Errc::integrity, "icv", "integrity check value does not verify");
  return {};
}

} // namespace

Result<void> Integ::check(const TransformInfo& integ, ByteView key) {
  return check_integ(integ, key);
}

Result<Integ> Integ::create(const TransformInfo& integ, ByteView key) {
  if (auto ok = check_integ(integ, key); !ok) return ok.error();
  auto mac = Mac::create(integ, key);
  if (!mac) return mac.error();
  return Integ(std::make_unique<Impl>(Impl{std::move(*mac)}), &integ);
}

Result<void> Integ::compute(ByteView a, ByteView b, MutBytes icv) {
  if (auto ok = check_icv(*info_, icv.size()); !ok) return ok;
  std::array<uint8_t, 64> full{};
  auto ok = impl_->mac.compute({a, b}, full);
  if (!ok) return ok;
  std::memcpy(icv.data(), full.data(), icv.size());
  return {};
}

Result<void> Integ::verify(ByteView a, ByteView b, ByteView icv) {
  if (auto ok = check_icv(*info_, icv.size()); !ok) return ok;
  std::array<uint8_t, 64> full{};
  auto ok = impl_->mac.compute({a, b}, full);
  if (!ok) return ok;
  return check_mac(full, icv);
}

// The untruncated MAC of a || b under `key` on this thread's context, after the checks
// compute_with and verify_with share (key length, ICV length `icv_len`).
static Result<void> full_mac_with(const TransformInfo& integ, ByteView key, ByteView a, ByteView b,
                                  size_t icv_len, std::array<uint8_t, 64>& full) {
  if (auto ok = check_integ(integ, key); !ok) return ok;
  if (auto ok = check_icv(integ, icv_len); !ok) return ok;
  const ByteView parts[2] = {a, b};
  return Mac::compute_with(integ, key, parts, full);
}

Result<void> Integ::compute_with(const TransformInfo& integ, ByteView key, ByteView a, ByteView b,
                                 MutBytes icv) {
  std::array<uint8_t, 64> full{};
  if (auto ok = full_mac_with(integ, key, a, b, icv.size(), full); !ok) return ok;
  std::memcpy(icv.data(), full.data(), icv.size());
  return {};
}

Result<void> Integ::verify_with(const TransformInfo& integ, ByteView key, ByteView a, ByteView b,
                                ByteView icv) {
  std::array<uint8_t, 64> full{};
  if (auto ok = full_mac_with(integ, key, a, b, icv.size(), full); !ok) return ok;
  return check_mac(full, icv);
}

} // namespace ikekit::crypto
