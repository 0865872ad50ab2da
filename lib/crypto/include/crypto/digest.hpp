// Plain digests and a constant-time comparison for the layers above crypto, which never
// include OpenSSL (DESIGN 2): the IKE engine fingerprints a request it answered (to
// recognise exact retransmissions, RFC 7296 2.1), hashes the NAT detection data (SHA-1,
// RFC 7296 2.23) and compares COOKIE and PSK AUTH data without leaking where they differ.
#pragma once

#include "base/bytes.hpp"

#include <array>
#include <cstdint>

namespace ikekit::crypto {

using Sha256 = std::array<uint8_t, 32>;
using Sha1 = std::array<uint8_t, 20>;

// SHA-256 (FIPS 180-4) of `data`; the EVP_MD is fetched once per process.
Sha256 sha256(ByteView data);
// SHA-1 (FIPS 180-4) of `data`; the EVP_MD is fetched once per process. For fingerprints
// of public values only (NAT detection), not as a security function.
Sha1 sha1(ByteView data);

// Equal length and equal bytes, in time that depends on the length only (CRYPTO_memcmp).
// Lengths are not secret: different lengths compare unequal at once.
bool constant_time_equal(ByteView a, ByteView b);

} // namespace ikekit::crypto
