// Key Exchange payload, RFC 7296 3.4.
// | Key Exchange Method Num (KE)  |           RESERVED            |
// ~                       Key Exchange Data                       ~
#pragma once

#include "base/bytes.hpp"
#include "base/result.hpp"
#include "wire/ids.hpp"

namespace ikekit::wire {

struct KePayload {
  KeGroup group = KeGroup::none;
  ByteView data;
};

Result<KePayload> parse_ke(ByteView body); // errors: "ke.group", "ke.reserved"
void write_body(Writer& w, const KePayload& p);
Result<size_t> serialize(const KePayload& p, MutBytes out);

} // namespace ikekit::wire
