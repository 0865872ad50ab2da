// AES-GCM (RFC 4106 ESP, RFC 5282 IKEv2) and ChaCha20-Poly1305 (RFC 7634).
// Both build the 12-byte nonce as salt (4 bytes from KEYMAT) || IV (8 bytes on the wire):
// RFC 4106 4, RFC 7634 2.
#include "crypto/aead.hpp"

#include "crypto/ossl.hpp"

#include <array>
#include <cstring>
#include <string>

namespace ikekit::crypto {

using detail::CipherCtxPtr;
using detail::ossl_error;

struct Aead::Impl {
  CipherCtxPtr enc;
  CipherCtxPtr dec;
  std::array<uint8_t, 4> salt{};
  ~Impl() { OPENSSL_cleanse(salt.data(), salt.size()); }
};

Aead::Aead(std::unique_ptr<Impl> impl, const TransformInfo* info)
    : impl_(std::move(impl)), info_(info) {}
Aead::Aead(Aead&&) noexcept = default;
Aead& Aead::operator=(Aead&&) noexcept = default;
Aead::~Aead() = default;

Result<Aead> Aead::create(const TransformInfo& encr, ByteView key_and_salt) {
  if (encr.kind != TransformKind::encr || !encr.aead || encr.salt_len != 4 || encr.iv_len != 8)
    return make_error(Errc::unsupported, "encr",
                      std::string(encr.keyword) + ": not an AEAD transform with a 4-byte salt");
  if (key_and_salt.size() != size_t(encr.key_len) + encr.salt_len)
    return make_error(Errc::bad_length, "encr.key",
                      std::string(encr.keyword) + " needs " +
                          std::to_string(encr.key_len + encr.salt_len) +
                          " bytes of key || salt, got " + std::to_string(key_and_salt.size()));
  std::string name(encr.openssl_name);
  auto impl = std::make_unique<Impl>();
  auto enc = detail::keyed_cipher_ctx(name.c_str(), key_and_salt.data(), 1, false);
  if (!enc) return enc.error();
  auto dec = detail::keyed_cipher_ctx(name.c_str(), key_and_salt.data(), 0, false);
  if (!dec) return dec.error();
  impl->enc = std::move(*enc);
  impl->dec = std::move(*dec);
  std::memcpy(impl->salt.data(), key_and_salt.data() + encr.key_len, 4);
  return Aead(std::move(impl), &encr);
}

namespace {

Result<void> check_sizes(const TransformInfo& t, ByteView iv, size_t icv_size, size_t len) {
  if (iv.size() != t.iv_len)
    return make_error(Errc::bad_length, "iv",
                      "expected " + std::to_string(t.iv_len) + " bytes, got " +
                          std::to_string(iv.size()));
  if (icv_size != t.icv_len)
    return make_error(Errc::bad_length, "icv",
                      "expected " + std::to_string(t.icv_len) + " bytes, got " +
                          std::to_string(icv_size));
  if (len > size_t(INT32_MAX)) return make_error(Errc::bad_length, "data", "too long");
  return {};
}

// salt || iv, RFC 4106 4 / RFC 7634 2.
std::array<uint8_t, 12> make_nonce(const std::array<uint8_t, 4>& salt, ByteView iv) {
  std::array<uint8_t, 12> nonce{};
  std::memcpy(nonce.data(), salt.data(), 4);
  std::memcpy(nonce.data() + 4, iv.data(), 8);
  return nonce;
}

} // namespace

Result<void> Aead::seal(ByteView iv, ByteView aad, MutBytes inout, MutBytes icv) {
  auto ok = check_sizes(*info_, iv, icv.size(), inout.size() + aad.size());
  if (!ok) return ok;
  EVP_CIPHER_CTX* c = impl_->enc.get();
  auto nonce = make_nonce(impl_->salt, iv);
  int outl = 0;
  if (EVP_EncryptInit_ex2(c, nullptr, nullptr, nonce.data(), nullptr) != 1)
    return ossl_error("aead", "set nonce");
  if (!aad.empty() && EVP_EncryptUpdate(c, nullptr, &outl, aad.data(), int(aad.size())) != 1)
    return ossl_error("aead", "aad");
  if (!inout.empty() &&
      EVP_EncryptUpdate(c, inout.data(), &outl, inout.data(), int(inout.size())) != 1)
    return ossl_error("aead", "encrypt");
  uint8_t tail[16];
  if (EVP_EncryptFinal_ex(c, tail, &outl) != 1) return ossl_error("aead", "final");
  if (EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_GET_TAG, int(icv.size()), icv.data()) != 1)
    return ossl_error("aead", "get tag");
  return {};
}

Result<void> Aead::open(ByteView iv, ByteView aad, MutBytes inout, ByteView icv) {
  auto ok = check_sizes(*info_, iv, icv.size(), inout.size() + aad.size());
  if (!ok) return ok;
  EVP_CIPHER_CTX* c = impl_->dec.get();
  auto nonce = make_nonce(impl_->salt, iv);
  int outl = 0;
  if (EVP_DecryptInit_ex2(c, nullptr, nullptr, nonce.data(), nullptr) != 1)
    return ossl_error("aead", "set nonce");
  if (!aad.empty() && EVP_DecryptUpdate(c, nullptr, &outl, aad.data(), int(aad.size())) != 1)
    return ossl_error("aead", "aad");
  if (!inout.empty() &&
      EVP_DecryptUpdate(c, inout.data(), &outl, inout.data(), int(inout.size())) != 1)
    return ossl_error("aead", "decrypt");
  // The tag buffer is only read by OpenSSL; the ctrl API takes a non-const pointer.
  uint8_t tag[16];
  std::memcpy(tag, icv.data(), icv.size());
  if (EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_TAG, int(icv.size()), tag) != 1)
    return ossl_error("aead", "set tag");
  uint8_t tail[16];
  if (EVP_DecryptFinal_ex(c, tail, &outl) != 1) {
    ERR_clear_error();
    return make_error(Errc::integrity, "icv", "AEAD tag does not verify");
  }
  return {};
}

} // namespace ikekit::crypto
