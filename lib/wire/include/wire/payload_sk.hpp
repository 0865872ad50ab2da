// Encrypted payload SK, RFC 7296 3.14, and Encrypted Fragment payload SKF, RFC 7383 2.5.
//
// SK:  | Next Payload  |C|  RESERVED   |         Payload Length        |
//      |                     Initialization Vector                     |
//      ~                    Encrypted IKE Payloads                     ~
//      |               |             Padding (0-255 octets)            |
//      |                                               |  Pad Length   |
//      ~                    Integrity Checksum Data                    ~
//
// SKF: | Next Payload  |C|  RESERVED   |         Payload Length        |
//      |        Fragment Number        |        Total Fragments        |
//      |                     Initialization Vector                     |
//      ~                      Encrypted content                        ~
//
// Here we only split off what is not encrypted; IV / ciphertext / ICV sizes depend on
// the negotiated suite and are the crypto layer's job. The Next Payload of SK (and of
// SKF fragment 1) names the first payload inside; fragments 2.. carry 0.
//
// Associated data (RFC 5282 5.1 / RFC 7383 2.5): the message from the IKE header to the
// end of the SK generic header (SKF: including Fragment Number and Total Fragments), see
// encrypted_associated_data() in message.hpp.
#pragma once

#include "base/bytes.hpp"
#include "base/result.hpp"
#include "wire/ids.hpp"
#include "wire/payload.hpp"

namespace ikekit::wire {

struct SkPayload {
  PayloadType first_inner = PayloadType::none;
  ByteView body; // IV | ciphertext | padding | pad length | ICV
};

struct SkfPayload {
  uint16_t fragment_number = 1; // 1-based
  uint16_t total_fragments = 1;
  PayloadType first_inner = PayloadType::none;
  ByteView body; // after the 4 fragment bytes: IV | ciphertext ... | ICV
};

inline constexpr size_t kSkfHeaderSize = 4; // Fragment Number + Total Fragments

// `next_payload` is the SK/SKF payload's Next Payload field (RawPayload::next_type).
Result<SkPayload> parse_sk(uint8_t next_payload, ByteView body); // never fails
// Errors: "skf.fragment_number", "skf.total_fragments" (truncated), bad_value
// "skf.fragment_number" if 0 or above Total Fragments, "skf.total_fragments" if 0
// (RFC 7383 2.6: such fragments are discarded).
Result<SkfPayload> parse_skf(uint8_t next_payload, ByteView body);
inline Result<SkPayload> parse_sk(const RawPayload& p) { return parse_sk(p.next_type, p.body); }
inline Result<SkfPayload> parse_skf(const RawPayload& p) { return parse_skf(p.next_type, p.body); }

// Body writers (the Next Payload of the generic header is first_inner: use add()).
void write_body(Writer& w, const SkPayload& p);
void write_body(Writer& w, const SkfPayload& p);
Result<size_t> serialize(const SkPayload& p, MutBytes out);
Result<size_t> serialize(const SkfPayload& p, MutBytes out);

// Appends the SK / SKF payload as the last payload of `w` (generic header with Next
// Payload = first_inner, then the body). Returns the offset of its generic header.
size_t add(PayloadWriter& w, const SkPayload& p);
size_t add(PayloadWriter& w, const SkfPayload& p);

} // namespace ikekit::wire
