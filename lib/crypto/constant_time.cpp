#include "crypto/constant_time.hpp"

#include <openssl/crypto.h>

namespace ikekit::crypto {

bool constant_time_equal(ByteView a, ByteView b) {
  return a.size() == b.size() && (a.empty() || CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0);
}

} // namespace ikekit::crypto
