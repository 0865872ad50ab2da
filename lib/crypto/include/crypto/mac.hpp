// A keyed MAC, the engine under Integ and Prf: HMAC (RFC 2104), AES-CMAC (RFC 4493) via
// EVP_MAC, and AES-XCBC-MAC (RFC 3566), which OpenSSL lacks, built on AES-128-ECB.
// The EVP_MAC implementations are fetched once per process; a Mac keys its context
// once and reuses it for every computation.
#pragma once

#include "base/bytes.hpp"
#include "base/result.hpp"
#include "crypto/suite.hpp"

#include <initializer_list>
#include <memory>
#include <span>

namespace ikekit::crypto {

class Mac {
public:
  enum class Algo : uint8_t { hmac, cmac, xcbc };

  // `t` is an integ or prf row; it selects the algorithm (HMAC digest from openssl_name,
  // AES-XCBC for ids integ 5 / prf 4, AES-CMAC for integ 8 / prf 8). The key is used as
  // given: HMAC takes any length, XCBC and CMAC exactly 16 bytes (PRF key rules are in prf.cpp).
  static Result<Mac> create(const TransformInfo& t, ByteView key);
  // The algorithm behind an integ or prf row.
  static Algo algo_of(const TransformInfo& t);

  Mac(Mac&&) noexcept;
  Mac& operator=(Mac&&) noexcept;
  ~Mac();

  Algo algo() const { return algo_; }
  size_t size() const { return size_; } // full output length

  // MAC over the concatenation of `parts`; writes size() bytes to out (out.size() >= size()).
  Result<void> compute(std::span<const ByteView> parts, MutBytes out);
  Result<void> compute(std::initializer_list<ByteView> parts, MutBytes out) {
    return compute(std::span<const ByteView>(parts.begin(), parts.size()), out);
  }

  // Keying::per_call (suite.hpp): the MAC of `parts` under `key` on this thread's context
  // for `t`, keyed for this call only. out.size() >= the full MAC length.
  static Result<void> compute_with(const TransformInfo& t, ByteView key,
                                   std::span<const ByteView> parts, MutBytes out);

private:
  struct Impl;
  Mac(std::unique_ptr<Impl> impl, Algo algo, size_t size);
  std::unique_ptr<Impl> impl_;
  Algo algo_;
  size_t size_;
};

} // namespace ikekit::crypto
