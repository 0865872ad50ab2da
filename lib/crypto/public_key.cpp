// Public keys of IKEv2 certificate authentication (crypto/sign.hpp): SubjectPublicKeyInfo
// parsing (DER, PEM, a certificate's), the key's type and its hashes (CERTREQ entries,
// key ids).
#include "crypto/public_key_impl.hpp"

#include <memory>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <string>

namespace ikekit::crypto {
namespace {

using detail::BioPtr;
using detail::PkeyPtr;
using detail::sha1_of;

struct X509PubkeyFree {
  void operator()(X509_PUBKEY* p) const { X509_PUBKEY_free(p); }
};
using X509PubkeyPtr = std::unique_ptr<X509_PUBKEY, X509PubkeyFree>;

} // namespace

Result<KeyType> detail::key_type_of(EVP_PKEY* pkey, std::string_view field) {
  if (EVP_PKEY_is_a(pkey, "RSA")) return KeyType::rsa;
  if (EVP_PKEY_is_a(pkey, "ED25519")) return KeyType::ed25519;
  if (EVP_PKEY_is_a(pkey, "EC")) {
    char group[64] = {};
    size_t len = 0;
    if (EVP_PKEY_get_group_name(pkey, group, sizeof group, &len) != 1)
      return detail::ossl_error(std::string(field), "EC key without a named curve");
    std::string_view g(group, len);
    if (g == "prime256v1" || g == "P-256" || g == "secp256r1") return KeyType::ecdsa_p256;
    if (g == "secp384r1" || g == "P-384") return KeyType::ecdsa_p384;
    if (g == "secp521r1" || g == "P-521") return KeyType::ecdsa_p521;
    return make_error(Errc::unsupported, std::string(field),
                      "EC curve " + std::string(g) +
                          " is not supported; allowed: P-256, P-384, P-521");
  }
  const char* tn = EVP_PKEY_get0_type_name(pkey);
  return make_error(Errc::unsupported, std::string(field),
                    std::string("key type ") + (tn ? tn : "?") +
                        " is not supported; allowed: RSA, ECDSA P-256/P-384/P-521, Ed25519");
}

// The EVP_PKEY decoded with the SubjectPublicKeyInfo is shared, not decoded again (OpenSSL
// 3 builds an encoder or decoder context for each i2d_PUBKEY / d2i_PUBKEY, the bulk of a
// key's accessors).
Result<PublicKey> detail::PublicKeyAccess::from_spki(const X509_PUBKEY* spki,
                                                     std::string_view field) {
  EVP_PKEY* key = X509_PUBKEY_get0(spki); // no reference taken
  if (!key) return detail::ossl_error(std::string(field), "not a DER SubjectPublicKeyInfo");
  auto type = key_type_of(key, field);
  if (!type) return type.error();
  unsigned char* buf = nullptr;
  int len = i2d_X509_PUBKEY(spki, &buf); // the ASN.1 structure again, no key encoder
  if (len <= 0) return detail::ossl_error(std::string(field), "encoding SubjectPublicKeyInfo");
  Bytes der(buf, buf + len);
  OPENSSL_free(buf);
  const unsigned char* bits = nullptr;
  int bits_len = 0;
  if (X509_PUBKEY_get0_param(nullptr, &bits, &bits_len, nullptr, spki) != 1 ||
      EVP_PKEY_up_ref(key) != 1)
    return detail::ossl_error(std::string(field), "reading SubjectPublicKeyInfo");
  return PublicKey(std::make_shared<const PublicKey::Impl>(PublicKey::Impl{
      PkeyPtr(key), *type, std::move(der), sha1_of(ByteView(bits, size_t(bits_len)))}));
}

Result<PublicKey> PublicKey::from_spki_der(ByteView der) {
  const unsigned char* p = der.data();
  X509PubkeyPtr spki(d2i_X509_PUBKEY(nullptr, &p, long(der.size())));
  if (!spki) return detail::ossl_error("public_key", "not a DER SubjectPublicKeyInfo");
  return detail::PublicKeyAccess::from_spki(spki.get(), "public_key");
}

Result<PublicKey> PublicKey::from_pem(std::string_view pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), int(pem.size())));
  PkeyPtr pkey(bio ? PEM_read_bio_PUBKEY(bio.get(), nullptr, detail::refuse_passphrase, nullptr)
                   : nullptr);
  if (!pkey) return detail::ossl_error("public_key", "no PEM PUBLIC KEY found");
  X509_PUBKEY* raw = nullptr;
  if (X509_PUBKEY_set(&raw, pkey.get()) != 1)
    return detail::ossl_error("public_key", "encoding SubjectPublicKeyInfo");
  X509PubkeyPtr spki(raw);
  return detail::PublicKeyAccess::from_spki(spki.get(), "public_key");
}

KeyType PublicKey::type() const { return impl_->type; }
size_t PublicKey::bits() const { return size_t(EVP_PKEY_get_bits(impl_->pkey.get())); }

Bytes PublicKey::spki_der() const { return impl_->spki_der; }

Bytes PublicKey::spki_sha1() const { return sha1_of(impl_->spki_der); }

Bytes PublicKey::public_key_sha1() const { return impl_->key_sha1; }

bool PublicKey::equals(const PublicKey& other) const {
  return EVP_PKEY_eq(impl_->pkey.get(), other.impl_->pkey.get()) == 1;
}

} // namespace ikekit::crypto
