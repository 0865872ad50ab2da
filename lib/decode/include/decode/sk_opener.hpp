// Opening one direction's SK and SKF payloads (RFC 7296 3.14, RFC 5282 for AEAD,
// RFC 7634 for ChaCha20-Poly1305, RFC 7383 2.5 for fragments), with the crypto
// contexts created once per IKE SA direction. Decode reports integrity and
// decryption separately, so this keeps both outcomes apart.
#pragma once

#include "base/secret_bytes.hpp"
#include "crypto/sk.hpp"
#include "decode/records.hpp"
#include "wire/payload.hpp"

#include <optional>

namespace ikekit::decode {

class SkOpener {
public:
  static Result<SkOpener> create(const crypto::TransformInfo* encr, const SecretBytes& sk_e,
                                 const crypto::TransformInfo* integ, const SecretBytes& sk_a);

  struct Outcome {
    Integrity integrity = Integrity::unchecked;
    std::optional<Error> error; // set when nothing was decrypted
  };
  // Decrypts `enc` (an SK or SKF payload of `message`) into `plain`: the inner payload
  // bytes (padding and Pad Length removed).
  Outcome open(ByteView message, const wire::RawPayload& enc, Bytes& plain);

private:
  explicit SkOpener(crypto::SkCrypter c) : crypter_(std::move(c)) {}
  crypto::SkCrypter crypter_;
};

} // namespace ikekit::decode
