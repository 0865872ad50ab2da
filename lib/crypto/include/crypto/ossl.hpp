// Internal to lib/crypto: owning handles for OpenSSL objects and error mapping.
// Only lib/crypto/*.cpp include this (DESIGN 2: crypto is the only OpenSSL user).
#pragma once

#include "base/bytes.hpp"
#include "base/result.hpp"

#include <memory>
#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <string>
#include <string_view>

namespace ikekit::crypto::detail {

struct CipherCtxFree {
  void operator()(EVP_CIPHER_CTX* p) const { EVP_CIPHER_CTX_free(p); }
};
struct CipherFree {
  void operator()(EVP_CIPHER* p) const { EVP_CIPHER_free(p); }
};
struct MacCtxFree {
  void operator()(EVP_MAC_CTX* p) const { EVP_MAC_CTX_free(p); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct PkeyCtxFree {
  void operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); }
};
struct MdFree {
  void operator()(EVP_MD* p) const { EVP_MD_free(p); }
};
struct BioFree {
  void operator()(BIO* p) const { BIO_free(p); }
};
using MdPtr = std::unique_ptr<EVP_MD, MdFree>;
using BioPtr = std::unique_ptr<BIO, BioFree>;
using CipherCtxPtr = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree>;
using CipherPtr = std::unique_ptr<EVP_CIPHER, CipherFree>;
using MacCtxPtr = std::unique_ptr<EVP_MAC_CTX, MacCtxFree>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree>;

// SHA-1, fetched once for the process: certificate key ids, CERTREQ and SPKI hashes
// (RFC 7296 3.7 and 3.8). Defined in digest.cpp.
const EVP_MD* sha1_md();
// SHA-1 of `data` (20 bytes).
Bytes sha1_of(ByteView data);

// An error naming `field` (Errc::crypto unless `code` says otherwise); appends (and
// drains) OpenSSL's error queue.
inline Error ossl_error(Errc code, std::string field, std::string what) {
  unsigned long e = ERR_get_error();
  if (e != 0) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    what += ": ";
    what += buf;
  }
  ERR_clear_error();
  return make_error(code, std::move(field), std::move(what));
}
inline Error ossl_error(std::string field, std::string what) {
  return ossl_error(Errc::crypto, std::move(field), std::move(what));
}

// A cipher context keyed once for one direction (enc = 1 encrypt, 0 decrypt); the cipher
// comes from the per-process table (fetched.hpp), `name` an openssl_name of the suite table.
Result<CipherCtxPtr> keyed_cipher_ctx(std::string_view name, const uint8_t* key, int enc,
                                      bool no_padding);

} // namespace ikekit::crypto::detail
