#include "wire/payload_nonce.hpp"

#include <string>

namespace ikekit::wire {

Result<NoncePayload> parse_nonce(ByteView body) {
  if (body.size() < kMinNonceSize)
    return make_error(Errc::truncated, "nonce.data",
                      "nonce of " + std::to_string(body.size()) + " bytes, at least 16 required");
  if (body.size() > kMaxNonceSize)
    return make_error(Errc::bad_length, "nonce.data",
                      "nonce of " + std::to_string(body.size()) + " bytes, at most 256 allowed");
  return NoncePayload{body};
}

void write_body(Writer& w, const NoncePayload& p) { w.bytes(p.data); }

Result<size_t> serialize(const NoncePayload& p, MutBytes out) {
  Writer w(out);
  write_body(w, p);
  return w.finish("nonce");
}

} // namespace ikekit::wire
