// Nonce payload, RFC 7296 3.9.
// ~                            Nonce Data                         ~
// "The size of the Nonce Data MUST be between 16 and 256 octets, inclusive."
#pragma once

#include "base/bytes.hpp"
#include "base/result.hpp"

namespace ikekit::wire {

inline constexpr size_t kMinNonceSize = 16;
inline constexpr size_t kMaxNonceSize = 256;

struct NoncePayload {
  ByteView data;
};

// Errors: "nonce.data" (truncated if < 16 bytes, bad_length if > 256).
Result<NoncePayload> parse_nonce(ByteView body);
void write_body(Writer& w, const NoncePayload& p);
Result<size_t> serialize(const NoncePayload& p, MutBytes out);

} // namespace ikekit::wire
