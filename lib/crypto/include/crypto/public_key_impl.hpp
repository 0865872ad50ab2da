// Internal to lib/crypto: what a PublicKey holds, and the hook that builds one from an
// OpenSSL SubjectPublicKeyInfo already parsed (a certificate's) without encoding and
// decoding it again. Only lib/crypto/*.cpp include this (DESIGN 2: crypto is the only
// OpenSSL user); sign.hpp names the hook as a friend, never its OpenSSL types.
#pragma once

#include "crypto/ossl.hpp"
#include "crypto/sign.hpp"

#include <openssl/x509.h>
#include <string_view>

namespace ikekit::crypto {

struct PublicKey::Impl {
  detail::PkeyPtr pkey;
  KeyType type;
  Bytes spki_der; // DER SubjectPublicKeyInfo, encoded once
  Bytes key_sha1; // SHA-1 of the subjectPublicKey BIT STRING contents
};

namespace detail {

// The key type of `pkey`: Errc::unsupported (naming `field`) for anything but RSA,
// ECDSA on P-256/P-384/P-521 and Ed25519.
Result<KeyType> key_type_of(EVP_PKEY* pkey, std::string_view field);

// PEM password callback: encrypted keys are refused, never prompted for.
inline int refuse_passphrase(char*, int, int, void*) { return 0; }

struct PublicKeyAccess {
  // The key of a parsed SubjectPublicKeyInfo: its EVP_PKEY is shared (a reference
  // taken), the DER and the key hash are taken once; errors name `field`.
  static Result<PublicKey> from_spki(const X509_PUBKEY* spki, std::string_view field);
};

} // namespace detail
} // namespace ikekit::crypto
