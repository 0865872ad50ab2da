#include "crypto/system_rng.hpp"

#include <cstdlib>
#include <openssl/rand.h>

namespace ikekit::crypto {

void SystemRng::fill(MutBytes out) {
  if (out.empty()) return;
  if (RAND_bytes(out.data(), int(out.size())) != 1) std::abort();
}

} // namespace ikekit::crypto
