#include "base/secret_bytes.hpp"

#include <string.h>

namespace ikekit {

// explicit_bzero is not optimised away; base stays free of OpenSSL (crypto/ is its only user).
void secure_zero(void* p, size_t n) {
  if (n) explicit_bzero(p, n); // an empty SecretBytes has no buffer (null is UB even for 0 bytes)
}

} // namespace ikekit
