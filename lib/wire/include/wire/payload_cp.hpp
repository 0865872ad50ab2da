// Configuration payload, RFC 7296 3.15.
// |   CFG Type    |                    RESERVED                   |
// ~                   Configuration Attributes                    ~
//
// Configuration attribute (3.15.1):
// |R|         Attribute Type      |            Length             |
// ~                             Value                             ~
// The R bit is reserved (sent 0, ignored).
#pragma once

#include "base/bytes.hpp"
#include "base/result.hpp"
#include "wire/ids.hpp"

#include <vector>

namespace ikekit::wire {

struct CfgAttribute {
  CfgAttr type = CfgAttr::internal_ip4_address;
  ByteView value; // may be empty (a request for any value)
};

struct CpPayload {
  CfgType type = CfgType::cfg_request;
  std::vector<CfgAttribute> attributes;
};

// Errors: "cp.cfg_type", "cp.reserved", "cp.attribute[i].type" / ".length" / ".value".
Result<CpPayload> parse_cp(ByteView body);
void write_body(Writer& w, const CpPayload& p);
Result<size_t> serialize(const CpPayload& p, MutBytes out);

} // namespace ikekit::wire
