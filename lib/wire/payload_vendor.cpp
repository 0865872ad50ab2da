#include "wire/payload_vendor.hpp"

namespace ikekit::wire {

Result<VendorIdPayload> parse_vendor_id(ByteView body) { return VendorIdPayload{body}; }

void write_body(Writer& w, const VendorIdPayload& p) { w.bytes(p.id); }

Result<size_t> serialize(const VendorIdPayload& p, MutBytes out) {
  Writer w(out);
  write_body(w, p);
  return w.finish("vendor_id");
}

} // namespace ikekit::wire
