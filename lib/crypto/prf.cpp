#include "crypto/prf.hpp"

#include "crypto/fetched.hpp"
#include "crypto/ossl.hpp"

#include <algorithm>
#include <array>
#include <string>
#include <vector>

namespace ikekit::crypto {

namespace {

// prf+ (RFC 7296 2.13): T1 = prf(K, S | 0x01), Ti = prf(K, T(i-1) | S | i), the output
// T1 | T2 | ... cut to `len`. `block(i, parts, t)` computes block i, the prf of `parts`,
// into `t` (n bytes, the prf's output length).
template <typename BlockFn>
Result<SecretBytes> prf_plus_blocks(size_t n, std::span<const ByteView> seed, size_t len,
                                    BlockFn&& block) {
  std::array<uint8_t, 64> t{};
  // RFC 7296 2.13: the counter is one octet, so at most 255 blocks.
  if (len > 255 * n || n > t.size())
    return make_error(Errc::bad_length, "prf_plus.length",
                      std::to_string(len) + " bytes exceeds 255 * " + std::to_string(n));
  SecretBytes out(len);
  std::vector<ByteView> parts;
  parts.reserve(seed.size() + 2);
  size_t done = 0;
  for (unsigned i = 1; done < len; ++i) {
    parts.clear();
    if (i > 1) parts.push_back(ByteView(t.data(), n)); // T(i-1)
    parts.insert(parts.end(), seed.begin(), seed.end());
    const uint8_t counter = uint8_t(i);
    parts.push_back(ByteView(&counter, 1));
    Result<void> ok = block(i, std::span<const ByteView>(parts), MutBytes(t.data(), n));
    if (!ok) {
      OPENSSL_cleanse(t.data(), t.size());
      return ok.error();
    }
    const size_t take = std::min(n, len - done);
    std::copy(t.begin(), t.begin() + take, out.reveal_mut().begin() + done);
    done += take;
  }
  OPENSSL_cleanse(t.data(), t.size());
  return out;
}

// prf+ with HMAC on this thread's context: keyed for the first block, restarted with the
// same key for the others, so no context is duplicated and freed per call (Prf::create:
// two per handshake side, for SK_* and the first Child SA's KEYMAT).
Result<SecretBytes> hmac_plus_on_thread(const TransformInfo& info, ByteView key,
                                        std::span<const ByteView> seed, size_t len) {
  auto c = detail::thread_mac_ctx(info, false);
  if (!c) return c.error();
  return prf_plus_blocks(info.out_len, seed, len,
                         [&](unsigned i, std::span<const ByteView> parts, MutBytes t) {
                           return detail::evp_mac(*c, key, i == 1, parts, t, t.size());
                         });
}

} // namespace

Result<Prf> Prf::create(const TransformInfo& prf, ByteView key) {
  if (prf.kind != TransformKind::prf)
    return make_error(Errc::unsupported, "prf", std::string(prf.keyword) + ": not a PRF");
  const Mac::Algo algo = Mac::algo_of(prf);
  if (algo == Mac::Algo::hmac || key.size() == 16) {
    auto mac = Mac::create(prf, key);
    if (!mac) return mac.error();
    return Prf(std::move(*mac), &prf);
  }

  std::array<uint8_t, 16> k{};
  if (algo == Mac::Algo::xcbc && key.size() < 16) {
    // RFC 4434 2: "If the key has fewer than 128 bits, lengthen it to exactly 128 bits
    // by padding it on the right with zero bits."
    std::copy(key.begin(), key.end(), k.begin());
  } else {
    // RFC 4434 2 (longer keys) / RFC 4615 3 (any key not 128 bits): K = MAC(0^128, key).
    std::array<uint8_t, 16> zero{};
    auto zmac = Mac::create(prf, zero);
    if (!zmac) return zmac.error();
    auto ok = zmac->compute({key}, k);
    if (!ok) return ok.error();
  }
  auto mac = Mac::create(prf, k);
  OPENSSL_cleanse(k.data(), k.size());
  if (!mac) return mac.error();
  return Prf(std::move(*mac), &prf);
}

Result<void> Prf::compute(std::span<const ByteView> parts, MutBytes out) {
  return mac_.compute(parts, out);
}

Result<SecretBytes> Prf::compute(std::initializer_list<ByteView> parts) {
  SecretBytes out(out_len());
  auto ok = compute(parts, out.reveal_mut());
  if (!ok) return ok.error();
  return out;
}

Result<SecretBytes> Prf::plus(std::span<const ByteView> seed, size_t len) {
  return prf_plus_blocks(out_len(), seed, len,
                         [this](unsigned, std::span<const ByteView> parts, MutBytes t) {
                           return mac_.compute(parts, t);
                         });
}

Result<SecretBytes> prf(const TransformInfo& info, ByteView key,
                        std::initializer_list<ByteView> data) {
  // HMAC takes a key of any length as it is: keyed on this thread's context for this one
  // call (Mac::compute_with), no context duplicated and freed per call (a handshake
  // makes seven of these: SKEYSEED and the AUTH payloads, RFC 7296 2.14, 2.15).
  if (info.kind == TransformKind::prf && Mac::algo_of(info) == Mac::Algo::hmac) {
    SecretBytes out(info.out_len);
    auto ok = Mac::compute_with(info, key, std::span<const ByteView>(data.begin(), data.size()),
                                out.reveal_mut());
    if (!ok) return ok.error();
    return out;
  }
  auto p = Prf::create(info, key);
  if (!p) return p.error();
  return p->compute(data);
}

Result<SecretBytes> prf_plus(const TransformInfo& info, ByteView key,
                             std::initializer_list<ByteView> seed, size_t len) {
  if (info.kind == TransformKind::prf && Mac::algo_of(info) == Mac::Algo::hmac)
    return hmac_plus_on_thread(info, key, std::span<const ByteView>(seed.begin(), seed.size()),
                               len);
  auto p = Prf::create(info, key);
  if (!p) return p.error();
  return p->plus(seed, len);
}

} // namespace ikekit::crypto
