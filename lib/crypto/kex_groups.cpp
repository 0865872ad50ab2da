#include "crypto/kex_groups.hpp"

#include <array>
#include <openssl/obj_mac.h>

namespace ikekit::crypto::detail {

namespace {

// RFC 2409 6.2 (group 2) and RFC 3526 2-7 primes.
BIGNUM* modp_prime(uint16_t id) {
  switch (id) {
  case 2:
    return BN_get_rfc2409_prime_1024(nullptr);
  case 14:
    return BN_get_rfc3526_prime_2048(nullptr);
  case 15:
    return BN_get_rfc3526_prime_3072(nullptr);
  case 16:
    return BN_get_rfc3526_prime_4096(nullptr);
  case 17:
    return BN_get_rfc3526_prime_6144(nullptr);
  case 18:
    return BN_get_rfc3526_prime_8192(nullptr);
  default:
    return nullptr;
  }
}

// Built once, never freed (process lifetime): a group that fails keeps p null.
ModpGroup make_modp(uint16_t id) {
  ModpGroup g;
  g.p = modp_prime(id);
  g.g = BN_new();
  g.p_minus_1 = g.p ? BN_dup(g.p) : nullptr;
  g.mont = BN_MONT_CTX_new();
  BN_CTX* ctx = BN_CTX_new();
  if (!g.p || !g.g || !BN_set_word(g.g, 2) || !g.p_minus_1 || !g.mont || !ctx ||
      !BN_sub_word(g.p_minus_1, 1) || !BN_MONT_CTX_set(g.mont, g.p, ctx)) {
    ERR_clear_error();
    g.p = nullptr;
  } else {
    g.len = size_t(BN_num_bytes(g.p));
  }
  BN_CTX_free(ctx);
  return g;
}

int ecp_nid(uint16_t id) {
  switch (id) {
  case 19:
    return NID_X9_62_prime256v1;
  case 20:
    return NID_secp384r1;
  default:
    return NID_secp521r1;
  }
}

} // namespace

const ModpGroup* modp_group(uint16_t id) {
  static constexpr std::array<uint16_t, 6> kIds = {2, 14, 15, 16, 17, 18};
  static const std::array<ModpGroup, 6> groups = [] {
    std::array<ModpGroup, 6> g;
    for (size_t i = 0; i < kIds.size(); ++i)
      g[i] = make_modp(kIds[i]);
    return g;
  }();
  for (size_t i = 0; i < kIds.size(); ++i)
    if (kIds[i] == id) return groups[i].p ? &groups[i] : nullptr;
  return nullptr;
}

const EC_GROUP* ecp_group(uint16_t id) {
  if (id < 19 || id > 21) return nullptr;
  static const std::array<EC_GROUP*, 3> groups = {EC_GROUP_new_by_curve_name(ecp_nid(19)),
                                                  EC_GROUP_new_by_curve_name(ecp_nid(20)),
                                                  EC_GROUP_new_by_curve_name(ecp_nid(21))};
  return groups[size_t(id - 19)];
}

EVP_PKEY_CTX* xdh_fromdata_ctx(bool x448) {
  thread_local std::array<PkeyCtxPtr, 2> ctxs;
  PkeyCtxPtr& c = ctxs[x448 ? 1 : 0];
  if (!c) {
    c.reset(EVP_PKEY_CTX_new_from_name(nullptr, x448 ? "X448" : "X25519", nullptr));
    if (c && EVP_PKEY_fromdata_init(c.get()) != 1) c.reset();
  }
  return c.get();
}

ByteView xdh_base_point(bool x448) {
  static constexpr std::array<uint8_t, 56> kBase448 = {5};
  static constexpr std::array<uint8_t, 32> kBase25519 = {9};
  return x448 ? ByteView(kBase448.data(), kBase448.size())
              : ByteView(kBase25519.data(), kBase25519.size());
}

EVP_PKEY* xdh_base_point_key(bool x448) {
  thread_local std::array<PkeyPtr, 2> keys;
  PkeyPtr& k = keys[x448 ? 1 : 0];
  if (!k) {
    ByteView u = xdh_base_point(x448);
    k.reset(EVP_PKEY_new_raw_public_key_ex(nullptr, x448 ? "X448" : "X25519", nullptr, u.data(),
                                           u.size()));
  }
  return k.get();
}

EVP_PKEY* xdh_peer_key(bool x448, ByteView pub) {
  thread_local std::array<PkeyPtr, 2> keys;
  PkeyPtr& k = keys[x448 ? 1 : 0];
  uint8_t* data = const_cast<uint8_t*>(pub.data()); // OSSL_PARAM wants non-const; only read
  if (k) {
    if (EVP_PKEY_set1_encoded_public_key(k.get(), data, pub.size()) == 1) return k.get();
    k.reset();
    return nullptr;
  }
  EVP_PKEY_CTX* ctx = xdh_fromdata_ctx(x448);
  OSSL_PARAM params[2] = {
      OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, data, pub.size()),
      OSSL_PARAM_construct_end()};
  EVP_PKEY* key = nullptr;
  if (!ctx || EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params) != 1) return nullptr;
  k.reset(key);
  return key;
}

} // namespace ikekit::crypto::detail
