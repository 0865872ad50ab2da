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
  SecretBytes key; // Keying::per_call: the key alone, no contexts
  CipherUse use = CipherUse::both;
  std::array<uint8_t, 4> salt{};
  size_t salt_len = 4;
  bool ccm = false;
  ~Impl() { OPENSSL_cleanse(salt.data(), salt.size()); }
  Result<EVP_CIPHER_CTX*> context(const TransformInfo& t, int enc);
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

// Keying::per_call: this thread's context for `t` in direction `enc`, created on first
// use (CCM: with its nonce and tag lengths) and never keyed by itself; each call sets its
// key. Contexts are not thread-safe, hence one set per thread; freed at thread exit.
Result<EVP_CIPHER_CTX*> shared_ctx(const TransformInfo& t, int enc) {
  struct Slot {
    const TransformInfo* t;
    int enc;
    CipherCtxPtr ctx;
  };
  thread_local std::vector<Slot> slots;
  for (Slot& s : slots)
    if (s.t == &t && s.enc == enc) return s.ctx.get();
  auto ctx = is_ccm(t) ? ccm_ctx(t, nullptr, enc)
                       : detail::keyed_cipher_ctx(t.openssl_name, nullptr, enc, false);
  if (!ctx) return ctx.error();
  slots.push_back(Slot{&t, enc, std::move(*ctx)});
  return slots.back().ctx.get();
}

} // namespace

// The context to seal (enc 1) or open (enc 0) with: our own, or the shared one keyed now.
Result<EVP_CIPHER_CTX*> Aead::Impl::context(const TransformInfo& t, int enc_) {
  if (key.empty()) {
    if (EVP_CIPHER_CTX* c = enc_ ? enc.get() : dec.get()) return c;
  } else if (use != (enc_ ? CipherUse::decrypt : CipherUse::encrypt)) {
    auto c = shared_ctx(t, enc_);
    if (!c) return c.error();
    if (EVP_CipherInit_ex2(*c, nullptr, key.reveal().data(), nullptr, enc_, nullptr) != 1)
      return ossl_error("aead", "set key");
    return *c;
  }
  return make_error(Errc::unsupported, "aead",
                    enc_ ? "keyed for opening only" : "keyed for sealing only");
}

Result<Aead> Aead::create(const TransformInfo& encr, ByteView key_and_salt, CipherUse use,
                          Keying keying) {
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
  auto impl = std::make_unique<Impl>();
  impl->ccm = is_ccm(encr);
  impl->salt_len = encr.salt_len;
  impl->use = use;
  std::memcpy(impl->salt.data(), key_and_salt.data() + encr.key_len, encr.salt_len);
  if (keying == Keying::per_call) {
    if (auto c = shared_ctx(encr, use == CipherUse::decrypt ? 0 : 1); !c) return c.error();
    impl->key = SecretBytes(key_and_salt.first(encr.key_len));
    return Aead(std::move(impl), &encr);
  }
  auto keyed = [&](int enc) {
    return impl->ccm ? ccm_ctx(encr, key_and_salt.data(), enc)
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
std::array<uint8_t, 12> make_nonce(const std::array<uint8_t, 4>& salt, size_t salt_len,
                                   ByteView iv) {
  std::array<uint8_t, 12> nonce{};
  std::memcpy(nonce.data(), salt.data(), salt_len);
  std::memcpy(nonce.data() + salt_len, iv.data(), 8);
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

} // namespace

Result<void> Aead::seal(ByteView iv, ByteView aad, MutBytes inout, MutBytes icv) {
  auto ok = check_sizes(*info_, iv, icv.size(), inout.size() + aad.size());
  if (!ok) return ok;
  auto ctx = impl_->context(*info_, 1);
  if (!ctx) return ctx.error();
  EVP_CIPHER_CTX* c = *ctx;
  auto nonce = make_nonce(impl_->salt, impl_->salt_len, iv);
  int outl = 0;
  if (EVP_EncryptInit_ex2(c, nullptr, nullptr, nonce.data(), nullptr) != 1)
    return ossl_error("aead", "set nonce");
  if (!ccm_length(c, impl_->ccm, inout.size())) return ossl_error("aead", "ccm length");
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
  auto ctx = impl_->context(*info_, 0);
  if (!ctx) return ctx.error();
  EVP_CIPHER_CTX* c = *ctx;
  auto nonce = make_nonce(impl_->salt, impl_->salt_len, iv);
  int outl = 0;
  // The tag buffer is only read by OpenSSL; the ctrl API takes a non-const pointer.
  uint8_t tag[16];
  std::memcpy(tag, icv.data(), icv.size());
  if (EVP_DecryptInit_ex2(c, nullptr, nullptr, nonce.data(), nullptr) != 1)
    return ossl_error("aead", "set nonce");
  if (impl_->ccm) return open_ccm(c, tag, icv.size(), aad, inout);
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

} // namespace ikekit::crypto
