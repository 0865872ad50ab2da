#include "crypto/legacy_hash.hpp"

#include "crypto/ossl.hpp"

#include <openssl/provider.h>
#include <string>

namespace ikekit::crypto {

using detail::ossl_error;

namespace {

// Loading "legacy" into the default library context replaces the implicit default
// provider, so "default" is loaded explicitly first (OpenSSL 3 provider(7)).
struct LegacyProvider {
  OSSL_PROVIDER* deflt = nullptr;
  OSSL_PROVIDER* legacy = nullptr;
  EVP_MD* md4 = nullptr;
  EVP_CIPHER* des = nullptr;
  std::string error;
};

const LegacyProvider& legacy_provider() {
  static const LegacyProvider p = [] {
    LegacyProvider r;
    r.deflt = OSSL_PROVIDER_load(nullptr, "default");
    r.legacy = OSSL_PROVIDER_load(nullptr, "legacy");
    if (r.legacy == nullptr) {
      ERR_clear_error();
      r.error = "OpenSSL's legacy provider (MD4, DES for MS-CHAPv2) could not be loaded; "
                "install it (Debian: libssl3 ships ossl-modules/legacy.so) or set "
                "OPENSSL_MODULES";
      return r;
    }
    r.md4 = EVP_MD_fetch(nullptr, "MD4", "provider=legacy");
    r.des = EVP_CIPHER_fetch(nullptr, "DES-ECB", "provider=legacy");
    if (r.md4 == nullptr || r.des == nullptr) {
      ERR_clear_error();
      r.error = "OpenSSL's legacy provider loaded but offers no MD4 or DES-ECB";
    }
    return r;
  }();
  return p;
}

const EVP_MD* digest_md(LegacyDigest d) {
  static EVP_MD* md5 = EVP_MD_fetch(nullptr, "MD5", nullptr);
  static EVP_MD* sha1 = EVP_MD_fetch(nullptr, "SHA1", nullptr);
  switch (d) {
  case LegacyDigest::md4:
    return legacy_provider().md4;
  case LegacyDigest::md5:
    return md5;
  case LegacyDigest::sha1:
    return sha1;
  }
  return nullptr;
}

size_t digest_size(LegacyDigest d) { return d == LegacyDigest::sha1 ? kSha1Size : kMd5Size; }

Error unavailable(std::string field) {
  return make_error(Errc::environment, std::move(field), legacy_provider().error);
}

struct MdCtxFree {
  void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
};

} // namespace

Result<void> legacy_provider_available() {
  if (!legacy_provider().error.empty()) return unavailable("legacy_provider");
  return {};
}

Result<void> legacy_digest(LegacyDigest d, std::span<const ByteView> parts, MutBytes out) {
  if (out.size() < digest_size(d))
    return make_error(Errc::bad_length, "digest", "output buffer too small");
  const EVP_MD* md = digest_md(d);
  if (md == nullptr) {
    if (d == LegacyDigest::md4) return unavailable("md4");
    return ossl_error("digest", "EVP_MD_fetch");
  }
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestInit_ex2(ctx.get(), md, nullptr) != 1)
    return ossl_error("digest", "EVP_DigestInit");
  for (ByteView p : parts)
    if (!p.empty() && EVP_DigestUpdate(ctx.get(), p.data(), p.size()) != 1)
      return ossl_error("digest", "EVP_DigestUpdate");
  unsigned len = 0;
  if (EVP_DigestFinal_ex(ctx.get(), out.data(), &len) != 1)
    return ossl_error("digest", "EVP_DigestFinal");
  return {};
}

Result<void> des_encrypt_block(ByteView key, ByteView in, MutBytes out) {
  if (key.size() != kDesKeySize || in.size() != kDesBlockSize || out.size() < kDesBlockSize)
    return make_error(Errc::bad_length, "des", "DES takes an 8-byte key and 8-byte blocks");
  const EVP_CIPHER* des = legacy_provider().des;
  if (des == nullptr) return unavailable("des");
  detail::CipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  if (!ctx || EVP_EncryptInit_ex2(ctx.get(), des, key.data(), nullptr, nullptr) != 1)
    return ossl_error("des", "DES-ECB init");
  EVP_CIPHER_CTX_set_padding(ctx.get(), 0);
  int len = 0;
  if (EVP_EncryptUpdate(ctx.get(), out.data(), &len, in.data(), int(in.size())) != 1 ||
      len != int(kDesBlockSize))
    return ossl_error("des", "DES-ECB encrypt");
  return {};
}

Result<void> hmac_md5(ByteView key, std::span<const ByteView> parts, MutBytes out) {
  static EVP_MAC* hmac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  if (out.size() < kMd5Size) return make_error(Errc::bad_length, "hmac_md5", "output too small");
  if (hmac == nullptr) return ossl_error("hmac_md5", "EVP_MAC_fetch HMAC");
  detail::MacCtxPtr ctx(EVP_MAC_CTX_new(hmac));
  char digest[] = "MD5";
  OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                         OSSL_PARAM_construct_end()};
  if (!ctx || EVP_MAC_init(ctx.get(), key.data(), key.size(), params) != 1)
    return ossl_error("hmac_md5", "HMAC-MD5 init");
  for (ByteView p : parts)
    if (!p.empty() && EVP_MAC_update(ctx.get(), p.data(), p.size()) != 1)
      return ossl_error("hmac_md5", "HMAC-MD5 update");
  size_t len = 0;
  if (EVP_MAC_final(ctx.get(), out.data(), &len, out.size()) != 1)
    return ossl_error("hmac_md5", "HMAC-MD5 final");
  return {};
}

} // namespace ikekit::crypto
