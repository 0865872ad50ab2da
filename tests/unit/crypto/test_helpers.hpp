// Shared helpers for crypto known-answer tests.
#pragma once

#include "base/bytes.hpp"
#include "base/hex.hpp"

#include <string>
#include <string_view>

namespace ikekit::test {

inline Bytes hex(std::string_view h) {
  auto r = from_hex(h, "test");
  return r ? std::move(*r) : Bytes{};
}

inline Bytes seq(size_t n, uint8_t start = 0) {
  Bytes b(n);
  for (size_t i = 0; i < n; ++i)
    b[i] = uint8_t(start + i);
  return b;
}

} // namespace ikekit::test
