// EAP payload, RFC 7296 3.16, carrying one EAP message (RFC 3748 4):
// |     Code      |  Identifier   |            Length             |
// |     Type      |  Type_Data...
// Request (1) and Response (2) carry a Type; Success (3) and Failure (4) are exactly 4
// bytes. Initiate (5) / Finish (6) (RFC 6696) carry a Type as well. The EAP Length
// covers the whole message and must equal the payload body size.
#pragma once

#include "base/bytes.hpp"
#include "base/result.hpp"
#include "wire/ids.hpp"

#include <optional>

namespace ikekit::wire {

struct EapPayload {
  EapCode code = EapCode::request;
  uint8_t identifier = 0;
  std::optional<EapType> type; // absent for Success/Failure
  ByteView data;               // Type-Data

  bool has_type() const { return code != EapCode::success && code != EapCode::failure; }
};

// Errors: "eap.code", "eap.identifier", "eap.length" (truncated if the EAP Length is
// larger than the payload, bad_length if smaller or < 4, or != 4 for Success/Failure),
// "eap.type" (truncated: Request/Response without a Type).
Result<EapPayload> parse_eap(ByteView body);
void write_body(Writer& w, const EapPayload& p);
Result<size_t> serialize(const EapPayload& p, MutBytes out);

} // namespace ikekit::wire
