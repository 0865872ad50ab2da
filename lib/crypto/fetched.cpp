#include "crypto/fetched.hpp"

#include "crypto/mac.hpp"
#include "crypto/suite.hpp"

#include <string>
#include <vector>

namespace ikekit::crypto::detail {

namespace {

struct Fetched {
  // A dozen names each: a linear search is cheaper than hashing them.
  std::vector<std::pair<std::string_view, EVP_CIPHER*>> ciphers;
  std::vector<std::pair<std::string_view, EVP_MAC_CTX*>> hmacs;
  // OpenSSL cannot copy a CMAC context before it has a key (CMAC_CTX_copy), so CMAC keeps
  // the fetched EVP_MAC and names its cipher per context (a rare PRF/integrity choice).
  EVP_MAC* cmac = nullptr;
};

template <typename T>
T* find(const std::vector<std::pair<std::string_view, T*>>& v, std::string_view name) {
  for (const auto& [n, p] : v)
    if (n == name) return p;
  return nullptr;
}

// An unkeyed MAC context with one string parameter (the HMAC digest or the CMAC cipher).
EVP_MAC_CTX* mac_template(EVP_MAC* mac, const char* param, std::string_view value) {
  if (!mac) return nullptr;
  EVP_MAC_CTX* ctx = EVP_MAC_CTX_new(mac);
  std::string v(value);
  OSSL_PARAM params[2] = {OSSL_PARAM_construct_utf8_string(param, v.data(), 0),
                          OSSL_PARAM_construct_end()};
  if (ctx && EVP_MAC_CTX_set_params(ctx, params) == 1) return ctx;
  EVP_MAC_CTX_free(ctx);
  ERR_clear_error();
  return nullptr;
}

Fetched build() {
  Fetched f;
  EVP_MAC* hmac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  f.cmac = EVP_MAC_fetch(nullptr, "CMAC", nullptr);
  auto add_cipher = [&f](std::string_view name) {
    if (find(f.ciphers, name)) return;
    std::string n(name);
    f.ciphers.emplace_back(name, EVP_CIPHER_fetch(nullptr, n.c_str(), nullptr));
  };
  for (const TransformInfo& t : all_transforms()) {
    if (t.kind == TransformKind::encr) {
      add_cipher(t.openssl_name);
    } else if (t.kind == TransformKind::integ || t.kind == TransformKind::prf) {
      const Mac::Algo algo = Mac::algo_of(t);
      if (algo == Mac::Algo::xcbc) add_cipher(t.openssl_name);
      if (algo == Mac::Algo::hmac && !find(f.hmacs, t.openssl_name))
        f.hmacs.emplace_back(t.openssl_name,
                             mac_template(hmac, OSSL_MAC_PARAM_DIGEST, t.openssl_name));
    }
  }
  EVP_MAC_free(hmac); // the templates hold their own references
  ERR_clear_error();  // a cipher this OpenSSL lacks fails where it is used, not here
  return f;
}

const Fetched& fetched() {
  // Never destroyed: threads may still seal at exit, and a static's destructor would
  // free the vectors, leaving the fetched objects unreachable (a leak to LeakSanitizer).
  static const Fetched* f = new Fetched(build());
  return *f;
}

MacCtxPtr dup(EVP_MAC_CTX* tmpl) { return MacCtxPtr(tmpl ? EVP_MAC_CTX_dup(tmpl) : nullptr); }

} // namespace

const EVP_CIPHER* fetched_cipher(std::string_view name) { return find(fetched().ciphers, name); }

Result<CipherCtxPtr> keyed_cipher_ctx(std::string_view name, const uint8_t* key, int enc,
                                      bool no_padding) {
  const EVP_CIPHER* cipher = fetched_cipher(name);
  if (!cipher) return ossl_error("cipher", "EVP_CIPHER_fetch " + std::string(name));
  CipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  if (!ctx || EVP_CipherInit_ex2(ctx.get(), cipher, key, nullptr, enc, nullptr) != 1)
    return ossl_error("cipher", "cipher init " + std::string(name));
  if (no_padding) EVP_CIPHER_CTX_set_padding(ctx.get(), 0);
  return ctx;
}

MacCtxPtr new_hmac_ctx(std::string_view digest) { return dup(find(fetched().hmacs, digest)); }

MacCtxPtr new_cmac_ctx() {
  return MacCtxPtr(mac_template(fetched().cmac, OSSL_MAC_PARAM_CIPHER, "AES-128-CBC"));
}

Result<EVP_CIPHER_CTX*> thread_cipher_ctx(const TransformInfo& t, int enc, CipherCtxMaker make) {
  struct Slot {
    const TransformInfo* t;
    int enc;
    CipherCtxPtr ctx;
  };
  thread_local std::vector<Slot> slots; // a few: one per algorithm and direction in use
  for (Slot& s : slots)
    if (s.t == &t && s.enc == enc) return s.ctx.get();
  auto ctx = make(t, enc);
  if (!ctx) return ctx.error();
  slots.push_back(Slot{&t, enc, std::move(*ctx)});
  return slots.back().ctx.get();
}

Result<EVP_MAC_CTX*> thread_mac_ctx(const TransformInfo& t, bool cmac) {
  struct Slot {
    const TransformInfo* t;
    MacCtxPtr ctx;
  };
  thread_local std::vector<Slot> slots;
  for (Slot& s : slots)
    if (s.t == &t) return s.ctx.get();
  MacCtxPtr ctx = cmac ? new_cmac_ctx() : new_hmac_ctx(t.openssl_name);
  if (!ctx) return ossl_error("mac", "MAC context for " + std::string(t.openssl_name));
  slots.push_back(Slot{&t, std::move(ctx)});
  return slots.back().ctx.get();
}

} // namespace ikekit::crypto::detail
