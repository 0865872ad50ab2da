#include "crypto/kex.hpp"

#include "crypto/kex_groups.hpp"

#include <algorithm>
#include <string>

namespace ikekit::crypto {

using detail::ossl_error;

namespace {

struct BnFree {
  void operator()(BIGNUM* p) const { BN_clear_free(p); }
};
struct BnCtxFree {
  void operator()(BN_CTX* p) const { BN_CTX_free(p); }
};
struct PointFree {
  void operator()(EC_POINT* p) const { EC_POINT_clear_free(p); }
};
using BnPtr = std::unique_ptr<BIGNUM, BnFree>;
using BnCtxPtr = std::unique_ptr<BN_CTX, BnCtxFree>;
using PointPtr = std::unique_ptr<EC_POINT, PointFree>;

enum class Family { modp, ecp, xdh };

Result<Family> family_of(const TransformInfo& ke) {
  if (ke.kind == TransformKind::ke) {
    switch (ke.id) {
    case 2:
    case 14:
    case 15:
    case 16:
    case 17:
    case 18:
      return Family::modp;
    case 19:
    case 20:
    case 21:
      return Family::ecp;
    case 31:
    case 32:
      return Family::xdh;
    default:
      break;
    }
  }
  return make_error(Errc::unsupported, "ke",
                    std::string(ke.keyword) + ": not a supported key exchange method");
}

// Private exponent length for generate(): at least twice the group's strength estimate
// (RFC 3526 8: 2048 ~110 bits ... 8192 ~190 bits).
size_t modp_exponent_len(uint16_t id) {
  switch (id) {
  case 2:
  case 14:
    return 32;
  case 15:
  case 16:
    return 48;
  default:
    return 64;
  }
}

Error peer_error(Errc code, std::string message) {
  return make_error(code, "ke.data", std::move(message));
}

// An X25519/X448 private key through this thread's FROMDATA context (no fetch).
// X25519 is imported with a placeholder public half (the base point) so that OpenSSL does
// not compute one: its fixed-base multiplication is portable C and costs more than the
// assembler ladder of a derive (OpenSSL 3.0 on x86-64: ~43 against ~36 us), so
// xdh_from_private computes X25519(k, 9) with the derive instead (RFC 7748 6.1). The
// placeholder is never read: the ECX derive takes only the private half of our key.
// X448's fixed-base multiplication (a comb over a precomputed table) is the cheaper of its
// two, so OpenSSL computes that public value itself (RFC 7748 6.2).
Result<detail::PkeyPtr> xdh_private_key(uint16_t id, ByteView priv) {
  const bool x448 = id == 32;
  EVP_PKEY_CTX* ctx = detail::xdh_fromdata_ctx(x448);
  if (!ctx) return ossl_error("ke", "EVP_PKEY_fromdata_init");
  uint8_t* placeholder = const_cast<uint8_t*>(detail::xdh_base_point(x448).data()); // only read
  OSSL_PARAM params[3] = {
      OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PRIV_KEY, const_cast<uint8_t*>(priv.data()),
                                        priv.size()),
      x448 ? OSSL_PARAM_construct_end()
           : OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, placeholder, priv.size()),
      OSSL_PARAM_construct_end()};
  EVP_PKEY* key = nullptr;
  if (EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_KEYPAIR, params) != 1)
    return ossl_error("ke", "EVP_PKEY_fromdata");
  return detail::PkeyPtr(key);
}

// X25519/X448 of our private key (the one of `ctx`) and `peer_key`'s public value.
bool xdh_derive(EVP_PKEY_CTX* ctx, EVP_PKEY* peer_key, SecretBytes& out) {
  size_t len = out.size();
  return EVP_PKEY_derive_set_peer_ex(ctx, peer_key, 0) == 1 &&
         EVP_PKEY_derive(ctx, out.reveal_mut().data(), &len) == 1 && len == out.size();
}

} // namespace

struct KeyExchange::Impl {
  Family family = Family::modp;
  // MODP: the shared group and the private exponent
  const detail::ModpGroup* modp = nullptr;
  BnPtr x;
  // ECP: the shared curve and the private scalar
  const EC_GROUP* group = nullptr;
  BnPtr d;
  // X25519 / X448: a derive context holding our key (one per key pair, set up once: it
  // computes the X25519 public value and later the shared secret). Not for two threads
  // at once; a KeyExchange belongs to one IKE SA, handled by one engine at a time.
  detail::PkeyCtxPtr derive;
};

KeyExchange::KeyExchange(std::unique_ptr<Impl> impl, const TransformInfo* info, Bytes pub)
    : impl_(std::move(impl)), info_(info), public_(std::move(pub)) {}
KeyExchange::KeyExchange(KeyExchange&&) noexcept = default;
KeyExchange& KeyExchange::operator=(KeyExchange&&) noexcept = default;
KeyExchange::~KeyExchange() = default;

Result<KeyExchange> KeyExchange::generate(const TransformInfo& ke, Rng& rng) {
  auto fam = family_of(ke);
  if (!fam) return fam.error();
  if (*fam == Family::modp) {
    SecretBytes x(modp_exponent_len(ke.id));
    do
      rng.fill(x.reveal_mut());
    while (x.reveal()[0] == 0); // keeps the exponent non-zero and of full length
    return from_private(ke, x.reveal());
  }
  if (*fam == Family::xdh) {
    SecretBytes k(ke.id == 31 ? 32 : 56);
    rng.fill(k.reveal_mut()); // RFC 7748 5: any 32/56 bytes; clamping is the function's job
    return from_private(ke, k.reveal());
  }
  // ECP: rejection sampling of 1 <= d < n from field-length strings (RFC 5903 / FIPS 186-4 B.4.2).
  const EC_GROUP* group = detail::ecp_group(ke.id);
  if (!group) return ossl_error("ke", "EC_GROUP_new_by_curve_name");
  const int bits = EC_GROUP_get_degree(group);
  const size_t flen = size_t(bits + 7) / 8;
  const uint8_t top_mask = bits % 8 ? uint8_t((1u << (bits % 8)) - 1) : 0xff;
  const BIGNUM* n = EC_GROUP_get0_order(group);
  SecretBytes d(flen);
  for (int tries = 0; tries < 256; ++tries) {
    rng.fill(d.reveal_mut());
    d.reveal_mut()[0] &= top_mask;
    BnPtr v(BN_bin2bn(d.reveal().data(), int(flen), nullptr));
    if (v && !BN_is_zero(v.get()) && BN_cmp(v.get(), n) < 0) return from_private(ke, d.reveal());
  }
  return make_error(Errc::crypto, "ke", "rng produced no valid ECP scalar in 256 tries");
}

Result<KeyExchange> KeyExchange::from_private(const TransformInfo& ke, ByteView priv) {
  auto fam = family_of(ke);
  if (!fam) return fam.error();
  auto impl = std::make_unique<Impl>();
  impl->family = *fam;
  if (*fam == Family::xdh) return xdh_from_private(ke, priv, std::move(impl));
  BnCtxPtr ctx(BN_CTX_new()); // MODP and ECP only: X25519/X448 need no big numbers
  if (!ctx) return ossl_error("ke", "BN_CTX_new");

  if (*fam == Family::modp) {
    impl->modp = detail::modp_group(ke.id);
    if (!impl->modp) return ossl_error("ke", "MODP group");
    const size_t plen = impl->modp->len;
    if (priv.empty() || priv.size() > plen)
      return make_error(Errc::bad_length, "ke.private",
                        "MODP exponent must be 1.." + std::to_string(plen) + " bytes");
    impl->x.reset(BN_secure_new());
    if (!impl->x || !BN_bin2bn(priv.data(), int(priv.size()), impl->x.get()))
      return ossl_error("ke", "BN_bin2bn");
    if (BN_is_zero(impl->x.get()))
      return make_error(Errc::bad_value, "ke.private", "MODP exponent is zero");
    BN_set_flags(impl->x.get(), BN_FLG_CONSTTIME);
    BnPtr y(BN_new());
    if (!y || !BN_mod_exp_mont_consttime(y.get(), impl->modp->g, impl->x.get(), impl->modp->p,
                                         ctx.get(), impl->modp->mont))
      return ossl_error("ke", "g^x mod p");
    Bytes pub(plen);
    if (BN_bn2binpad(y.get(), pub.data(), int(plen)) != int(plen)) return ossl_error("ke", "pad");
    return KeyExchange(std::move(impl), &ke, std::move(pub));
  }

  if (*fam == Family::ecp) {
    impl->group = detail::ecp_group(ke.id);
    if (!impl->group) return ossl_error("ke", "EC_GROUP_new_by_curve_name");
    const size_t flen = size_t(EC_GROUP_get_degree(impl->group) + 7) / 8;
    if (priv.size() != flen)
      return make_error(Errc::bad_length, "ke.private",
                        "ECP scalar must be " + std::to_string(flen) + " bytes");
    impl->d.reset(BN_secure_new());
    if (!impl->d || !BN_bin2bn(priv.data(), int(priv.size()), impl->d.get()))
      return ossl_error("ke", "BN_bin2bn");
    if (BN_is_zero(impl->d.get()) || BN_cmp(impl->d.get(), EC_GROUP_get0_order(impl->group)) >= 0)
      return make_error(Errc::bad_value, "ke.private", "ECP scalar must be in 1..n-1");
    PointPtr q(EC_POINT_new(impl->group));
    BnPtr x(BN_new()), y(BN_new());
    if (!q || !x || !y ||
        !EC_POINT_mul(impl->group, q.get(), impl->d.get(), nullptr, nullptr, ctx.get()) ||
        !EC_POINT_get_affine_coordinates(impl->group, q.get(), x.get(), y.get(), ctx.get()))
      return ossl_error("ke", "ECP public value");
    Bytes pub(2 * flen);
    if (BN_bn2binpad(x.get(), pub.data(), int(flen)) != int(flen) ||
        BN_bn2binpad(y.get(), pub.data() + flen, int(flen)) != int(flen))
      return ossl_error("ke", "pad");
    return KeyExchange(std::move(impl), &ke, std::move(pub));
  }
  return ossl_error("ke", "unknown key exchange family");
}

Result<KeyExchange> KeyExchange::xdh_from_private(const TransformInfo& ke, ByteView priv,
                                                  std::unique_ptr<Impl> impl) {
  const size_t klen = ke.id == 31 ? 32 : 56;
  if (priv.size() != klen)
    return make_error(Errc::bad_length, "ke.private",
                      std::string(ke.keyword) + " private key must be " + std::to_string(klen) +
                          " bytes");
  auto key = xdh_private_key(ke.id, priv);
  if (!key) return key.error();
  impl->derive.reset(EVP_PKEY_CTX_new_from_pkey(nullptr, key->get(), nullptr));
  if (!impl->derive || EVP_PKEY_derive_init(impl->derive.get()) != 1)
    return ossl_error("ke", "derive init");
  Bytes pub(klen);
  if (ke.id == 31) {
    SecretBytes u(klen); // a public value, in SecretBytes only for xdh_derive's signature
    EVP_PKEY* base = detail::xdh_base_point_key(false);
    if (!base || !xdh_derive(impl->derive.get(), base, u)) return ossl_error("ke", "X25519(k, 9)");
    std::copy(u.reveal().begin(), u.reveal().end(), pub.begin());
  } else {
    size_t len = klen;
    if (EVP_PKEY_get_raw_public_key(key->get(), pub.data(), &len) != 1 || len != klen)
      return ossl_error("ke", "EVP_PKEY_get_raw_public_key");
  }
  return KeyExchange(std::move(impl), &ke, std::move(pub));
}

Result<SecretBytes> KeyExchange::shared_secret(ByteView peer) const {
  if (peer.size() != public_.size())
    return peer_error(Errc::bad_length, std::string(info_->keyword) + " KE data must be " +
                                            std::to_string(public_.size()) + " bytes, got " +
                                            std::to_string(peer.size()));
  if (impl_->family == Family::xdh) return xdh_shared_secret(peer);
  BnCtxPtr ctx(BN_CTX_new()); // MODP and ECP only: X25519/X448 need no big numbers
  if (!ctx) return ossl_error("ke", "BN_CTX_new");

  if (impl_->family == Family::modp) {
    const size_t plen = public_.size();
    const detail::ModpGroup& grp = *impl_->modp;
    BnPtr y(BN_bin2bn(peer.data(), int(plen), nullptr));
    if (!y) return ossl_error("ke", "BN");
    // 1 < y < p - 1 (RFC 8247 2.4 via NIST SP 800-56A 5.6.2.3.1).
    if (BN_cmp(y.get(), BN_value_one()) <= 0 || BN_cmp(y.get(), grp.p_minus_1) >= 0)
      return peer_error(Errc::bad_value, "MODP public value must satisfy 1 < y < p-1");
    BnPtr s(BN_secure_new());
    if (!s ||
        !BN_mod_exp_mont_consttime(s.get(), y.get(), impl_->x.get(), grp.p, ctx.get(), grp.mont))
      return ossl_error("ke", "y^x mod p");
    SecretBytes out(plen); // RFC 7296 2.14: padded with zeros to the modulus length
    if (BN_bn2binpad(s.get(), out.reveal_mut().data(), int(plen)) != int(plen))
      return ossl_error("ke", "pad");
    return out;
  }

  if (impl_->family == Family::ecp) {
    const EC_GROUP* g = impl_->group;
    const size_t flen = public_.size() / 2;
    BnPtr x(BN_bin2bn(peer.data(), int(flen), nullptr));
    BnPtr y(BN_bin2bn(peer.data() + flen, int(flen), nullptr));
    BnPtr p(BN_new());
    PointPtr q(EC_POINT_new(g));
    if (!x || !y || !p || !q || !EC_GROUP_get_curve(g, p.get(), nullptr, nullptr, ctx.get()))
      return ossl_error("ke", "EC");
    if (BN_cmp(x.get(), p.get()) >= 0 || BN_cmp(y.get(), p.get()) >= 0)
      return peer_error(Errc::bad_value, "ECP coordinate is not below the field prime");
    if (EC_POINT_set_affine_coordinates(g, q.get(), x.get(), y.get(), ctx.get()) != 1 ||
        EC_POINT_is_on_curve(g, q.get(), ctx.get()) != 1) {
      ERR_clear_error();
      return peer_error(Errc::bad_value, "ECP public value is not a point on the curve");
    }
    PointPtr r(EC_POINT_new(g));
    BnPtr rx(BN_secure_new());
    if (!r || !rx || !EC_POINT_mul(g, r.get(), nullptr, q.get(), impl_->d.get(), ctx.get()))
      return ossl_error("ke", "ECDH");
    if (EC_POINT_is_at_infinity(g, r.get()))
      return peer_error(Errc::bad_value, "ECDH result is the point at infinity");
    if (!EC_POINT_get_affine_coordinates(g, r.get(), rx.get(), nullptr, ctx.get()))
      return ossl_error("ke", "ECDH x");
    SecretBytes out(flen); // RFC 5903 7: the x coordinate only
    if (BN_bn2binpad(rx.get(), out.reveal_mut().data(), int(flen)) != int(flen))
      return ossl_error("ke", "pad");
    return out;
  }
  return ossl_error("ke", "unknown key exchange family");
}

Result<SecretBytes> KeyExchange::xdh_shared_secret(ByteView peer) const {
  EVP_PKEY* peer_key = detail::xdh_peer_key(info_->id == 32, peer);
  if (!peer_key) return ossl_error("ke", "X25519/X448 peer key");
  SecretBytes out(public_.size());
  if (!xdh_derive(impl_->derive.get(), peer_key, out)) {
    // OpenSSL refuses an all-zero X25519/X448 output, which RFC 8031 2.3 requires rejecting.
    ERR_clear_error();
    return peer_error(Errc::bad_value,
                      std::string(info_->keyword) + " shared secret is all zero (low-order point)");
  }
  return out;
}

} // namespace ikekit::crypto
