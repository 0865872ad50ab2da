// Internal to lib/crypto/kex.cpp: the key-exchange groups, set up once per process.
// EC_GROUP_new_by_curve_name, the MODP primes and their Montgomery contexts cost more
// than a fresh object per KeyExchange should (DESIGN 3); they are built at first use
// inside function-local statics (thread-safe) and only read afterwards, which OpenSSL
// allows from several threads (EC_POINT_mul and BN_mod_exp_mont_consttime take them const
// or read-only). XDH keys are made through one FROMDATA context per thread and type.
#pragma once

#include "base/bytes.hpp"
#include "crypto/ossl.hpp"

#include <cstdint>
#include <openssl/bn.h>
#include <openssl/ec.h>

namespace ikekit::crypto::detail {

// A MODP group (RFC 2409 6.2 group 2, RFC 3526 2-7): the prime, the generator (2 for
// all of them), p - 1 for the peer value check, the Montgomery context of p, and the
// modulus length in bytes.
struct ModpGroup {
  BIGNUM* p = nullptr;
  BIGNUM* g = nullptr;
  BIGNUM* p_minus_1 = nullptr;
  BN_MONT_CTX* mont = nullptr;
  size_t len = 0;
};

// Null for an id that is not a MODP group (2, 14-18) or when OpenSSL failed.
const ModpGroup* modp_group(uint16_t id);

// The curve of ECP group 19, 20 or 21 (RFC 5903); null otherwise.
const EC_GROUP* ecp_group(uint16_t id);

// This thread's EVP_PKEY_fromdata context for X25519 (x448 = false) or X448: created and
// put in FROMDATA state once (EVP_PKEY_CTX_new_from_name fetches the key management each
// call), then reused for every key of the thread. Null when OpenSSL failed.
EVP_PKEY_CTX* xdh_fromdata_ctx(bool x448);

// The base point's u-coordinate of Curve25519 (9) or Curve448 (5), RFC 7748 4.1/4.2,
// little-endian, 32/56 bytes.
ByteView xdh_base_point(bool x448);

// This thread's public key holding the base point: the peer of a derive that computes
// a public value X25519(k, 9). Null when OpenSSL failed.
EVP_PKEY* xdh_base_point_key(bool x448);

// This thread's peer key for X25519 or X448, set to `pub` (32/56 bytes, checked by the
// caller). Every new EVP_PKEY costs OpenSSL 3.0 a walk over its whole name map
// (EVP_PKEY_set_type_by_keymgmt); setting the public value of one reused key does not.
// Valid until the thread's next call; it holds no secret. Null when OpenSSL failed.
EVP_PKEY* xdh_peer_key(bool x448, ByteView pub);

} // namespace ikekit::crypto::detail
