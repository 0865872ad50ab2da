#include "ike/keymat.hpp"

#include "crypto/mac.hpp"
#include "crypto/prf.hpp"

#include <algorithm>
#include <array>
#include <string>

namespace ikekit::ike {

using crypto::TransformInfo;
using crypto::TransformKind;

size_t encr_keymat_len(const TransformInfo& encr) { return size_t(encr.key_len) + encr.salt_len; }
size_t integ_keymat_len(const TransformInfo* integ) { return integ ? integ->key_len : 0; }

namespace {

Result<void> check_ike(const IkeTransforms& t) {
  if (!t.encr || t.encr->kind != TransformKind::encr)
    return make_error(Errc::bad_value, "transforms.encr", "an encryption transform is required");
  if (!t.prf || t.prf->kind != TransformKind::prf)
    return make_error(Errc::bad_value, "transforms.prf", "a prf transform is required");
  if (t.encr->aead && t.integ)
    return make_error(Errc::bad_value, "transforms.integ",
                      std::string(t.encr->keyword) + " is an AEAD: no integrity transform");
  if (!t.encr->aead && (!t.integ || t.integ->kind != TransformKind::integ))
    return make_error(Errc::bad_value, "transforms.integ",
                      std::string(t.encr->keyword) + " needs an integrity transform");
  return {};
}

} // namespace

Result<IkeKeys> derive_ike_keys_from_skeyseed(const IkeTransforms& t, SecretBytes skeyseed,
                                              ByteView ni, ByteView nr, uint64_t spi_i,
                                              uint64_t spi_r) {
  auto ok = check_ike(t);
  if (!ok) return ok.error();
  // RFC 7296 2.14: SK_d, SK_pi, SK_pr have the prf's preferred key length; SK_ai/SK_ar
  // the integrity key length; SK_ei/SK_er the encryption key length (+ salt/nonce).
  const size_t d = t.prf->key_len;
  const size_t a = integ_keymat_len(t.integ);
  const size_t e = encr_keymat_len(*t.encr);
  std::array<uint8_t, 16> spis{};
  store_be64(spis.data(), spi_i);
  store_be64(spis.data() + 8, spi_r);
  auto stream = crypto::prf_plus(*t.prf, skeyseed.reveal(), {ni, nr, ByteView(spis)},
                                 d + 2 * a + 2 * e + 2 * d);
  if (!stream) return stream.error();
  IkeKeys k;
  size_t off = 0;
  auto take = [&](size_t n) {
    SecretBytes s = stream->slice(off, n);
    off += n;
    return s;
  };
  k.sk_d = take(d);
  k.sk_ai = take(a);
  k.sk_ar = take(a);
  k.sk_ei = take(e);
  k.sk_er = take(e);
  k.sk_pi = take(d);
  k.sk_pr = take(d);
  k.skeyseed = std::move(skeyseed);
  return k;
}

Result<IkeKeys> derive_ike_keys(const IkeTransforms& t, ByteView ni, ByteView nr, ByteView g_ir,
                                uint64_t spi_i, uint64_t spi_r) {
  auto ok = check_ike(t);
  if (!ok) return ok.error();
  Bytes key;
  if (crypto::Mac::algo_of(*t.prf) != crypto::Mac::Algo::hmac) {
    // RFC 7296 2.14: with a prf that takes a fixed-size key (AES-XCBC, AES-CMAC), "the
    // first half of the bits [of the key] come from Ni and the second half from Nr".
    const size_t half = t.prf->key_len / 2;
    if (ni.size() < half || nr.size() < half)
      return make_error(Errc::bad_length, ni.size() < half ? "ni" : "nr",
                        "nonce shorter than " + std::to_string(half) + " bytes");
    key.assign(ni.begin(), ni.begin() + half);
    key.insert(key.end(), nr.begin(), nr.begin() + half);
  } else {
    key.assign(ni.begin(), ni.end());
    key.insert(key.end(), nr.begin(), nr.end());
  }
  auto skeyseed = crypto::prf(*t.prf, key, {g_ir});
  // Nonces are public, but keep the habit of not leaving key inputs lying around.
  secure_zero(key.data(), key.size());
  if (!skeyseed) return skeyseed.error();
  return derive_ike_keys_from_skeyseed(t, std::move(*skeyseed), ni, nr, spi_i, spi_r);
}

Result<IkeKeys> derive_rekeyed_ike_keys(const TransformInfo& old_prf, const SecretBytes& old_sk_d,
                                        const IkeTransforms& t, ByteView g_ir_new, ByteView ni,
                                        ByteView nr, uint64_t spi_i, uint64_t spi_r) {
  auto ok = check_ike(t);
  if (!ok) return ok.error();
  if (g_ir_new.empty())
    return make_error(Errc::bad_value, "g_ir",
                      "rekeying an IKE SA needs a new key exchange (RFC 7296 1.3.2)");
  auto skeyseed = crypto::prf(old_prf, old_sk_d.reveal(), {g_ir_new, ni, nr});
  if (!skeyseed) return skeyseed.error();
  return derive_ike_keys_from_skeyseed(t, std::move(*skeyseed), ni, nr, spi_i, spi_r);
}

Result<ChildKeys> derive_child_keys(const TransformInfo& prf, const SecretBytes& sk_d,
                                    const ChildTransforms& t, ByteView g_ir_new, ByteView ni,
                                    ByteView nr) {
  if (!t.encr || t.encr->kind != TransformKind::encr)
    return make_error(Errc::bad_value, "transforms.encr", "an encryption transform is required");
  if (t.encr->aead && t.integ)
    return make_error(Errc::bad_value, "transforms.integ",
                      std::string(t.encr->keyword) + " is an AEAD: no integrity transform");
  if (t.integ && t.integ->kind != TransformKind::integ)
    return make_error(Errc::bad_value, "transforms.integ", "not an integrity transform");
  const size_t e = encr_keymat_len(*t.encr);
  const size_t a = integ_keymat_len(t.integ);
  // RFC 7296 2.17: KEYMAT = prf+(SK_d, [g^ir (new) |] Ni | Nr).
  auto keymat = g_ir_new.empty()
                    ? crypto::prf_plus(prf, sk_d.reveal(), {ni, nr}, 2 * (e + a))
                    : crypto::prf_plus(prf, sk_d.reveal(), {g_ir_new, ni, nr}, 2 * (e + a));
  if (!keymat) return keymat.error();
  ChildKeys k;
  k.encr_i = keymat->slice(0, e);
  k.integ_i = keymat->slice(e, a);
  k.encr_r = keymat->slice(e + a, e);
  k.integ_r = keymat->slice(2 * e + a, a);
  return k;
}

size_t min_nonce_size(const crypto::TransformInfo& prf) {
  return std::max<size_t>(16, (size_t(prf.key_len) + 1) / 2);
}

std::optional<std::string> nonce_too_short(ByteView nonce, const crypto::TransformInfo& prf) {
  if (nonce.size() >= min_nonce_size(prf)) return std::nullopt;
  return "nonce of " + std::to_string(nonce.size()) + " bytes; RFC 7296 2.10 needs at least " +
         std::to_string(min_nonce_size(prf)) + " with " + std::string(prf.keyword);
}

} // namespace ikekit::ike
