#include "decode/sk_opener.hpp"

namespace ikekit::decode {

Result<SkOpener> SkOpener::create(const crypto::TransformInfo* encr, const SecretBytes& sk_e,
                                  const crypto::TransformInfo* integ, const SecretBytes& sk_a) {
  if (encr->aead) integ = nullptr; // RFC 5282 8: no integrity transform with an AEAD
  auto c =
      crypto::SkCrypter::create(*encr, sk_e.reveal(), integ, integ ? sk_a.reveal() : ByteView());
  if (!c) return c.error();
  return SkOpener(std::move(*c));
}

SkOpener::Outcome SkOpener::open(ByteView message, const wire::RawPayload& enc, Bytes& plain) {
  // The crypter works in place; the capture's bytes stay untouched for the output.
  Bytes copy(message.begin(), message.end());
  Outcome out;
  auto r = crypter_.open(copy, enc.offset, enc.whole.size(),
                         enc.is_encrypted() && enc.payload_type() == wire::PayloadType::skf);
  if (!r) {
    out.integrity = r.error().code == Errc::integrity ? Integrity::failed : Integrity::unchecked;
    out.error = r.error();
    return out;
  }
  out.integrity = Integrity::ok;
  plain.assign(r->begin(), r->end());
  return out;
}

} // namespace ikekit::decode
