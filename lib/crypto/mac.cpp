#include "crypto/mac.hpp"

#include "crypto/fetched.hpp"

#include <array>
#include <cstring>
#include <string>

namespace ikekit::crypto {

using detail::evp_mac;
using detail::ossl_error;

namespace {

using Block = std::array<uint8_t, 16>;

} // namespace

Result<void> detail::evp_mac(EVP_MAC_CTX* c, ByteView key, bool set_key,
                             std::span<const ByteView> parts, MutBytes out, size_t size) {
  // HMAC with an empty key is legal (RFC 2104); OpenSSL wants a non-null pointer.
  static const uint8_t kEmpty[1] = {0};
  const uint8_t* k = set_key ? (key.empty() ? kEmpty : key.data()) : nullptr;
  if (EVP_MAC_init(c, k, set_key ? key.size() : 0, nullptr) != 1)
    return ossl_error("mac", "EVP_MAC_init");
  for (ByteView p : parts)
    if (!p.empty() && EVP_MAC_update(c, p.data(), p.size()) != 1)
      return ossl_error("mac", "EVP_MAC_update");
  size_t outl = 0;
  if (EVP_MAC_final(c, out.data(), &outl, out.size()) != 1 || (size && outl != size))
    return ossl_error("mac", "EVP_MAC_final");
  return {};
}

struct Mac::Impl {
  // HMAC / CMAC
  detail::MacCtxPtr mac;
  // XCBC (RFC 3566 4): K1 drives the CBC-MAC, K2/K3 mask the last block.
  detail::CipherCtxPtr k1;
  Block k2{}, k3{};
  ~Impl() {
    OPENSSL_cleanse(k2.data(), k2.size());
    OPENSSL_cleanse(k3.data(), k3.size());
  }
};

Mac::Mac(std::unique_ptr<Impl> impl, Algo algo, size_t size)
    : impl_(std::move(impl)), algo_(algo), size_(size) {}
Mac::Mac(Mac&&) noexcept = default;
Mac& Mac::operator=(Mac&&) noexcept = default;
Mac::~Mac() = default;

Mac::Algo Mac::algo_of(const TransformInfo& t) {
  // IANA: AUTH_AES_XCBC_96 = 5, PRF_AES128_XCBC = 4, AUTH_AES_CMAC_96 = 8, PRF_AES128_CMAC = 8.
  if ((t.kind == TransformKind::integ && t.id == 5) || (t.kind == TransformKind::prf && t.id == 4))
    return Algo::xcbc;
  if (t.id == 8) return Algo::cmac;
  return Algo::hmac;
}

Result<Mac> Mac::create(const TransformInfo& t, ByteView key) {
  if (t.kind != TransformKind::integ && t.kind != TransformKind::prf)
    return make_error(Errc::unsupported, "mac", std::string(t.keyword) + ": not a MAC transform");
  const Algo algo = algo_of(t);

  auto impl = std::make_unique<Impl>();
  if (algo != Algo::hmac && key.size() != 16)
    return make_error(Errc::bad_length, "key",
                      std::string(t.keyword) + " needs a 16-byte key, got " +
                          std::to_string(key.size()));

  if (algo == Algo::xcbc) {
    // RFC 3566 4 (1): K1 = E(K, 0x01^16), K2 = E(K, 0x02^16), K3 = E(K, 0x03^16).
    auto k = detail::keyed_cipher_ctx("AES-128-ECB", key.data(), 1, true);
    if (!k) return k.error();
    Block k1{};
    Block in{};
    int outl = 0;
    in.fill(0x01);
    bool ok = EVP_EncryptUpdate(k->get(), k1.data(), &outl, in.data(), 16) == 1;
    in.fill(0x02);
    ok = ok && EVP_EncryptUpdate(k->get(), impl->k2.data(), &outl, in.data(), 16) == 1;
    in.fill(0x03);
    ok = ok && EVP_EncryptUpdate(k->get(), impl->k3.data(), &outl, in.data(), 16) == 1;
    if (!ok) return ossl_error("mac", "AES-XCBC key derivation");
    auto c1 = detail::keyed_cipher_ctx("AES-128-ECB", k1.data(), 1, true);
    OPENSSL_cleanse(k1.data(), k1.size());
    if (!c1) return c1.error();
    impl->k1 = std::move(*c1);
    return Mac(std::move(impl), algo, 16);
  }

  // The digest (or CMAC's cipher) is already set on the context: only the key is new.
  impl->mac = algo == Algo::hmac ? detail::new_hmac_ctx(t.openssl_name) : detail::new_cmac_ctx();
  if (!impl->mac) return ossl_error("mac", "MAC context for " + std::string(t.openssl_name));
  // HMAC with an empty key is legal (RFC 2104); OpenSSL wants a non-null pointer.
  static const uint8_t kEmpty[1] = {0};
  if (EVP_MAC_init(impl->mac.get(), key.empty() ? kEmpty : key.data(), key.size(), nullptr) != 1)
    return ossl_error("mac", "EVP_MAC_init " + std::string(t.openssl_name));
  size_t size = EVP_MAC_CTX_get_mac_size(impl->mac.get());
  return Mac(std::move(impl), algo, size);
}

Result<void> Mac::compute(std::span<const ByteView> parts, MutBytes out) {
  if (out.size() < size_) return make_error(Errc::bad_length, "mac", "output buffer too small");
  // Re-init with a null key restarts with the key set at create().
  if (algo_ != Algo::xcbc) return evp_mac(impl_->mac.get(), {}, false, parts, out, size_);

  // AES-XCBC-MAC-128, RFC 3566 4 (2)-(3): CBC-MAC with K1 over all blocks; the last block
  // is XORed with K2 when complete, or padded 10* and XORed with K3 when not (or empty).
  EVP_CIPHER_CTX* c = impl_->k1.get();
  Block e{};   // running CBC state E[i]
  Block buf{}; // bytes of the block not yet processed
  size_t fill = 0;
  int outl = 0;
  for (ByteView p : parts) {
    for (uint8_t b : p) {
      if (fill == 16) { // a full block followed by more data: not the last one
        for (size_t i = 0; i < 16; ++i)
          buf[i] ^= e[i];
        if (EVP_EncryptUpdate(c, e.data(), &outl, buf.data(), 16) != 1)
          return ossl_error("mac", "AES-XCBC block");
        fill = 0;
      }
      buf[fill++] = b;
    }
  }
  const Block* mask = &impl_->k2;
  if (fill < 16) {
    buf[fill] = 0x80;
    for (size_t i = fill + 1; i < 16; ++i)
      buf[i] = 0;
    mask = &impl_->k3;
  }
  for (size_t i = 0; i < 16; ++i)
    buf[i] ^= e[i] ^ (*mask)[i];
  if (EVP_EncryptUpdate(c, out.data(), &outl, buf.data(), 16) != 1)
    return ossl_error("mac", "AES-XCBC block");
  OPENSSL_cleanse(buf.data(), buf.size());
  return {};
}

Result<void> Mac::compute_with(const TransformInfo& t, ByteView key,
                               std::span<const ByteView> parts, MutBytes out) {
  const Algo algo = algo_of(t);
  if (algo == Algo::xcbc) { // its three subkeys take a key schedule each way: keyed here
    auto m = create(t, key);
    if (!m) return m.error();
    return m->compute(parts, out);
  }
  if (t.kind != TransformKind::integ && t.kind != TransformKind::prf)
    return make_error(Errc::unsupported, "mac", std::string(t.keyword) + ": not a MAC transform");
  if (algo == Algo::cmac && key.size() != 16)
    return make_error(Errc::bad_length, "key",
                      std::string(t.keyword) + " needs a 16-byte key, got " +
                          std::to_string(key.size()));
  auto c = detail::thread_mac_ctx(t, algo == Algo::cmac);
  if (!c) return c.error();
  // The size is known once keyed (an unkeyed HMAC context has no digest yet): 0 here,
  // EVP_MAC_final refuses an `out` too small.
  return evp_mac(*c, key, true, parts, out, 0);
}

} // namespace ikekit::crypto
