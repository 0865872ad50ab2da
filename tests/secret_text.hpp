// What a test compares a SecretBytes with: its bytes as text or as hex. Tests only: the
// library never turns a secret into a string outside a key log.
#pragma once

#include "base/hex.hpp"
#include "base/secret_bytes.hpp"

#include <string>

namespace ikekit::test {

inline std::string secret_text(const SecretBytes& b) {
  return std::string(reinterpret_cast<const char*>(b.reveal().data()), b.size());
}

inline std::string secret_hex(const SecretBytes& b) { return to_hex(b.reveal()); }

} // namespace ikekit::test
