// Shared helpers for the EAP unit tests.
#pragma once

#include "base/bytes.hpp"
#include "base/hex.hpp"

#include <string_view>

namespace ikekit::test {

inline Bytes hex(std::string_view h) {
  auto r = from_hex(h, "test");
  return r ? std::move(*r) : Bytes{};
}

} // namespace ikekit::test
