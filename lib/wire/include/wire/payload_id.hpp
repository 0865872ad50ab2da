// Identification payloads IDi/IDr, RFC 7296 3.5.
// |   ID Type     |                 RESERVED                      |
// ~                   Identification Data                         ~
#pragma once

#include "base/bytes.hpp"
#include "base/result.hpp"
#include "wire/ids.hpp"

#include <string>

namespace ikekit::wire {

struct IdPayload {
  IdType type = IdType::id_fqdn;
  ByteView data;
};

// Errors: "id.type", "id.reserved". ID_IPV4_ADDR must be 4 bytes and ID_IPV6_ADDR 16
// ("id.data", bad_length).
Result<IdPayload> parse_id(ByteView body);
void write_body(Writer& w, const IdPayload& p);
Result<size_t> serialize(const IdPayload& p, MutBytes out);

// The identity as text: ID_IPV4_ADDR/ID_IPV6_ADDR as addresses, ID_FQDN/ID_RFC822_ADDR
// as the string (hex if it holds non-printable bytes), ID_NULL as "", everything else
// (ID_DER_ASN1_DN, ID_DER_ASN1_GN, ID_KEY_ID, ID_FC_NAME, unknown) as lowercase hex.
std::string id_to_text(const IdPayload& id);

} // namespace ikekit::wire
