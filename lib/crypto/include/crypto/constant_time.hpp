// Comparison of secrets and MACs in time independent of where they differ
// (OpenSSL's CRYPTO_memcmp), for callers that must not include OpenSSL.
#pragma once

#include "base/bytes.hpp"

namespace ikekit::crypto {

// False for different sizes (the size is not secret); else a constant-time comparison.
bool constant_time_equal(ByteView a, ByteView b);

} // namespace ikekit::crypto
