// AES-GCM (RFC 4106 ESP, RFC 5282 IKEv2), ChaCha20-Poly1305 (RFC 7634) and AES-CCM
// (RFC 4309 ESP, RFC 5282 IKEv2). The nonce is salt (from KEYMAT) || IV (8 bytes on the
// wire): 4 + 8 = 12 bytes for GCM and ChaCha20 (RFC 4106 4, RFC 7634 2), 3 + 8 = 11 for CCM
// (RFC 4309 4, so the CCM length field is L = 4 octets).
#include "crypto/aead.hpp"

#include "base/secret_bytes.hpp"
#include "crypto/fetched.hpp"

#include <array>
#include <cstring>
#include <string>
#include <vector>

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

namespace {

bool is_ccm(const TransformInfo& t) { return t.id >= 14 && t.id <= 16; } // ENCR_AES_CCM_8/12/16

// CCM fixes the nonce and tag lengths before the key (OpenSSL sets up CCM's M and L
// with the key schedule), so its contexts are keyed in three steps.
Result<CipherCtxPtr> ccm_ctx(const TransformInfo& t, const uint8_t* key, int enc) {
  std::string name(t.openssl_name);
  const EVP_CIPHER* cipher = detail::fetched_cipher(t.openssl_name);
  if (!cipher) return ossl_error("cipher", "EVP_CIPHER_fetch " + name);
  CipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  if (!ctx || EVP_CipherInit_ex2(ctx.get(), cipher, nullptr, nullptr, enc, nullptr) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_SET_IVLEN, int(t.salt_len + t.iv_len),
                          nullptr) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_SET_TAG, t.icv_len, nullptr) != 1 ||
      EVP_CipherInit_ex2(ctx.get(), nullptr, key, nullptr, enc, nullptr) != 1)
    return ossl_error("cipher", "cipher init " + name);
  return ctx;
}

// A context for thread_cipher_ctx (Keying::per_call): the cipher, CCM's nonce and tag
// lengths, no key.
Result<CipherCtxPtr> unkeyed_aead_ctx(const TransformInfo& t, int enc) {
  return is_ccm(t) ? ccm_ctx(t, nullptr, enc)
                   : detail::keyed_cipher_ctx(t.openssl_name, nullptr, enc, false);
}

Result<void> check_aead(const TransformInfo& encr, ByteView key_and_salt) { // Aead::check
  const bool salt_ok = encr.salt_len == (is_ccm(encr) ? 3 : 4);
  if (encr.kind != TransformKind::encr || !encr.aead || !salt_ok || encr.iv_len != 8)
    return make_error(Errc::unsupported, "encr",
                      std::string(encr.keyword) +
                          ": not an AEAD transform with a 4-byte salt (3 for CCM)");
  if (key_and_salt.size() != size_t(encr.key_len) + encr.salt_len)
    return make_error(Errc::bad_length, "encr.key",
                      std::string(encr.keyword) + " needs " +
                          std::to_string(encr.key_len + encr.salt_len) +
                          " bytes of key || salt, got " + std::to_string(key_and_salt.size()));
  return {};
}

} // namespace

Result<void> Aead::check(const TransformInfo& encr, ByteView key_and_salt) {
  return check_aead(encr, key_and_salt);
}

Result<Aead> Aead::create(const TransformInfo& encr, ByteView key_and_salt, CipherUse use) {
  if (auto ok = check_aead(encr, key_and_salt); !ok) return ok.error();
  auto impl = std::make_unique<Impl>();
  std::memcpy(impl->salt.data(), key_and_salt.data() + encr.key_len, encr.salt_len);
  auto keyed = [&](int enc) {
    return is_ccm(encr)
               ? ccm_ctx(encr, key_and_salt.data(), enc)
               : detail::keyed_cipher_ctx(encr.openssl_name, key_and_salt.data(), enc, false);
  };
  if (use != CipherUse::decrypt) {
    auto enc = keyed(1);
    if (!enc) return enc.error();
    impl->enc = std::move(*enc);
  }
  if (use != CipherUse::encrypt) {
    auto dec = keyed(0);
    if (!dec) return dec.error();
    impl->dec = std::move(*dec);
  }
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

// salt || iv, RFC 4106 4 / RFC 7634 2 / RFC 4309 4 (12 or 11 bytes used).
std::array<uint8_t, 12> make_nonce(ByteView salt, ByteView iv) {
  std::array<uint8_t, 12> nonce{};
  std::memcpy(nonce.data(), salt.data(), salt.size());
  std::memcpy(nonce.data() + salt.size(), iv.data(), 8);
  return nonce;
}

// CCM needs the total text length before the AAD (RFC 3610 2.2: it is in block B_0).
bool ccm_length(EVP_CIPHER_CTX* c, bool ccm, size_t len) {
  int outl = 0;
  return !ccm || EVP_CipherUpdate(c, nullptr, &outl, nullptr, int(len)) == 1;
}

// CCM verifies the tag inside the one update that decrypts (RFC 3610 2.5): the tag is
// set first, and a failing update is the integrity failure.
Result<void> open_ccm(EVP_CIPHER_CTX* c, uint8_t* tag, size_t tag_len, ByteView aad,
                      MutBytes inout) {
  int outl = 0;
  if (EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_TAG, int(tag_len), tag) != 1)
    return ossl_error("aead", "set tag");
  if (!ccm_length(c, true, inout.size())) return ossl_error("aead", "ccm length");
  if (!aad.empty() && EVP_DecryptUpdate(c, nullptr, &outl, aad.data(), int(aad.size())) != 1)
    return ossl_error("aead", "aad");
  if (EVP_DecryptUpdate(c, inout.data(), &outl, inout.data(), int(inout.size())) != 1) {
    ERR_clear_error();
    return make_error(Errc::integrity, "icv", "AEAD tag does not verify");
  }
  return {};
}

// Seals with context `c` (keyed already, or `key` is set now) and nonce salt || iv.
Result<void> seal_on(EVP_CIPHER_CTX* c, const TransformInfo& t, const uint8_t* key, ByteView salt,
                     ByteView iv, ByteView aad, MutBytes inout, MutBytes icv) {
  auto ok = check_sizes(t, iv, icv.size(), inout.size() + aad.size());
  if (!ok) return ok;
  auto nonce = make_nonce(salt, iv);
  int outl = 0;
  if (EVP_EncryptInit_ex2(c, nullptr, key, nonce.data(), nullptr) != 1)
    return ossl_error("aead", "set nonce");
  if (!ccm_length(c, is_ccm(t), inout.size())) return ossl_error("aead", "ccm length");
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

Result<void> open_on(EVP_CIPHER_CTX* c, const TransformInfo& t, const uint8_t* key, ByteView salt,
                     ByteView iv, ByteView aad, MutBytes inout, ByteView icv) {
  auto ok = check_sizes(t, iv, icv.size(), inout.size() + aad.size());
  if (!ok) return ok;
  auto nonce = make_nonce(salt, iv);
  int outl = 0;
  // The tag buffer is only read by OpenSSL; the ctrl API takes a non-const pointer.
  uint8_t tag[16];
  std::memcpy(tag, icv.data(), icv.size());
  if (EVP_DecryptInit_ex2(c, nullptr, key, nonce.data(), nullptr) != 1)
    return ossl_error("aead", "set nonce");
  if (is_ccm(t)) return open_ccm(c, tag, icv.size(), aad, inout);
  if (!aad.empty() && EVP_DecryptUpdate(c, nullptr, &outl, aad.data(), int(aad.size())) != 1)
    return ossl_error("aead", "aad");
  if (!inout.empty() &&
      EVP_DecryptUpdate(c, inout.data(), &outl, inout.data(), int(inout.size())) != 1)
    return ossl_error("aead", "decrypt");
  if (EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_TAG, int(icv.size()), tag) != 1)
    return ossl_error("aead", "set tag");
  uint8_t tail[16];
  if (EVP_DecryptFinal_ex(c, tail, &outl) != 1) {
    ERR_clear_error();
    return make_error(Errc::integrity, "icv", "AEAD tag does not verify");
  }
  return {};
}

} // namespace

Result<void> Aead::seal(ByteView iv, ByteView aad, MutBytes inout, MutBytes icv) {
  if (!impl_->enc) return make_error(Errc::unsupported, "aead", "keyed for opening only");
  return seal_on(impl_->enc.get(), *info_, nullptr, ByteView(impl_->salt).first(info_->salt_len),
                 iv, aad, inout, icv);
}

Result<void> Aead::open(ByteView iv, ByteView aad, MutBytes inout, ByteView icv) {
  if (!impl_->dec) return make_error(Errc::unsupported, "aead", "keyed for sealing only");
  return open_on(impl_->dec.get(), *info_, nullptr, ByteView(impl_->salt).first(info_->salt_len),
                 iv, aad, inout, icv);
}

Result<void> Aead::seal_with(const TransformInfo& encr, ByteView key_and_salt, ByteView iv,
                             ByteView aad, MutBytes inout, MutBytes icv) {
  if (auto ok = check_aead(encr, key_and_salt); !ok) return ok;
  auto c = detail::thread_cipher_ctx(encr, 1, unkeyed_aead_ctx);
  if (!c) return c.error();
  return seal_on(*c, encr, key_and_salt.data(), key_and_salt.subspan(encr.key_len), iv, aad, inout,
                 icv);
}

Result<void> Aead::open_with(const TransformInfo& encr, ByteView key_and_salt, ByteView iv,
                             ByteView aad, MutBytes inout, ByteView icv) {
  if (auto ok = check_aead(encr, key_and_salt); !ok) return ok;
  auto c = detail::thread_cipher_ctx(encr, 0, unkeyed_aead_ctx);
  if (!c) return c.error();
  return open_on(*c, encr, key_and_salt.data(), key_and_salt.subspan(encr.key_len), iv, aad, inout,
                 icv);
}

} // namespace ikekit::crypto
