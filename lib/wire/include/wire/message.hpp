// A whole IKE message, RFC 7296 3.1-3.2: the header and the payload chain that is not
// encrypted (for encrypted exchanges: just the SK or SKF payload, which comes last).
//
//   auto msg = parse_message(datagram);          // views into `datagram`
//   if (!msg) return msg.error();                 // field e.g. "payload[2].length"
//   if (const RawPayload* sk = msg->encrypted()) {
//     ByteView aad = encrypted_associated_data(msg->bytes, *sk);
//     ... decrypt sk->body, then parse_payload_chain(plaintext, sk->next_type) ...
//   }
//
// Encoding:
//   MessageWriter w(out, header);   // header.next_payload/length are filled in
//   w.add(PayloadType::sa, sa); w.add(PayloadType::ke, ke); w.add(PayloadType::nonce, ni);
//   auto n = w.finish();            // bytes written, header Length patched
//
// Sealing an SK payload (crypto layer): reserve the body, finish, then encrypt in place.
//   MessageWriter w(out, header);
//   size_t sk_at = w.begin_encrypted(PayloadType::sk, first_inner);   // SK generic header
//   size_t body_at = w.writer().skip(iv_size + plaintext_size + icv_size);
//   w.end();
//   auto n = w.finish();   // lengths final: AAD = out[0 .. sk_at + 4)
//   ... write IV | ciphertext | ICV at out[body_at ..) ...
#pragma once

#include "base/bytes.hpp"
#include "base/result.hpp"
#include "wire/header.hpp"
#include "wire/payload.hpp"

#include <vector>

namespace ikekit::wire {

struct Message {
  IkeHeader header;
  ByteView bytes;                   // the whole message, header.length bytes
  std::vector<RawPayload> payloads; // unencrypted chain; offsets from the message start

  // The SK or SKF payload (always the last one), or nullptr.
  const RawPayload* encrypted() const;
  // The first payload of a type, or nullptr.
  const RawPayload* find(PayloadType type) const;
  size_t count(PayloadType type) const;
};

// Header checks as parse_header() (field "header.*"), then the chain (field
// "payload[i].*", see PayloadCursor).
Result<Message> parse_message(ByteView datagram, ChainOptions options = {});

// RFC 5282 5.1 / RFC 7383 2.5: bytes covered as associated data (AEAD) and the start of
// what an integrity check covers: from the IKE header through the SK generic header, or
// through the SKF Fragment Number and Total Fragments. `message` as in Message::bytes.
ByteView encrypted_associated_data(ByteView message, const RawPayload& sk_or_skf);

// Writes a header and a payload chain; see PayloadWriter for adding payloads.
class MessageWriter : public PayloadWriter {
public:
  // Writes `header`; its next_payload is set by the first payload added and its length
  // by finish().
  MessageWriter(MutBytes out, const IkeHeader& header);
  // Patches the header Length; bytes written or why not.
  Result<size_t> finish();
};

} // namespace ikekit::wire
