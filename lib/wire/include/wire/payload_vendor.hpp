// Vendor ID payload, RFC 7296 3.12.
// ~                        Vendor ID (VID)                        ~
#pragma once

#include "base/bytes.hpp"
#include "base/result.hpp"

namespace ikekit::wire {

struct VendorIdPayload {
  ByteView id;
};

Result<VendorIdPayload> parse_vendor_id(ByteView body); // never fails (any length, even 0)
void write_body(Writer& w, const VendorIdPayload& p);
Result<size_t> serialize(const VendorIdPayload& p, MutBytes out);

} // namespace ikekit::wire
