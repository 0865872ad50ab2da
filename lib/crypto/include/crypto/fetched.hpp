// Internal to lib/crypto: the OpenSSL algorithms behind the suite table, fetched once per
// process (DESIGN 3: "Fetch EVP objects once"). An EVP_*_fetch walks OpenSSL's method
// store under a lock and EVP_MAC_init with a digest name fetches that digest again, so
// creating a cipher or MAC context per SA or per prf() call paid for a lookup each time.
//
// The table is built on first use inside a function-local static (thread-safe), holds
// every cipher, HMAC digest and CMAC an encr/integ/prf row names, and is never freed:
// it is read-only afterwards, so engines on several threads share it.
#pragma once

#include "crypto/ossl.hpp"

#include <string_view>

namespace ikekit::crypto {
struct TransformInfo;
}

namespace ikekit::crypto::detail {

// The cipher an encr/integ/prf row names in openssl_name ("AES-256-GCM", and
// "AES-128-ECB" for AES-XCBC); nullptr when OpenSSL lacks it or the name is not in the
// table.
const EVP_CIPHER* fetched_cipher(std::string_view name);

// A MAC context with its algorithm set and no key, ready for EVP_MAC_init(ctx, key, len,
// nullptr): HMAC over `digest` ("SHA256", an integ/prf row's openssl_name), or AES-CMAC
// (RFC 4493) over AES-128-CBC. HMAC contexts are duplicated from a per-process template,
// so the digest is not fetched again (CMAC, which OpenSSL cannot copy unkeyed, still
// names its cipher per context). Null when the digest is not in the table or OpenSSL failed.
MacCtxPtr new_hmac_ctx(std::string_view digest);
MacCtxPtr new_cmac_ctx();

// Keying::per_call (suite.hpp): this thread's cipher context for transform `t` in
// direction `enc` (1 encrypt, 0 decrypt), made by `make` on first use (with the cipher
// and any fixed parameters, no key) and kept until the thread exits. Each caller sets
// its own key on it for the call: contexts are not thread-safe, hence one set per thread.
using CipherCtxMaker = Result<CipherCtxPtr> (*)(const TransformInfo& t, int enc);
Result<EVP_CIPHER_CTX*> thread_cipher_ctx(const TransformInfo& t, int enc, CipherCtxMaker make);
// The same for the HMAC or CMAC context of an integ/prf row (unkeyed; EVP_MAC_init sets
// the caller's key).
Result<EVP_MAC_CTX*> thread_mac_ctx(const TransformInfo& t, bool cmac);
// HMAC or CMAC over `parts` on context `c` into `out`: `set_key` sets `key`, else the
// context restarts with the key it was given before (OpenSSL 3 HMAC/CMAC). `size`: the
// MAC length expected (0: any).
Result<void> evp_mac(EVP_MAC_CTX* c, ByteView key, bool set_key, std::span<const ByteView> parts,
                     MutBytes out, size_t size);

} // namespace ikekit::crypto::detail
