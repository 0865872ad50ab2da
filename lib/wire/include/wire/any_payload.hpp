// Every payload parser behind one call, for walkers such as ike-decode and the fuzzer:
//
//   for (const RawPayload& raw : msg->payloads) {
//     auto p = parse_any(raw);   // errors are the specific parser's ("sa.proposal[0]...")
//     std::visit(..., *p);
//   }
#pragma once

#include "wire/payload.hpp"
#include "wire/payload_auth.hpp"
#include "wire/payload_cert.hpp"
#include "wire/payload_cp.hpp"
#include "wire/payload_delete.hpp"
#include "wire/payload_eap.hpp"
#include "wire/payload_id.hpp"
#include "wire/payload_ke.hpp"
#include "wire/payload_nonce.hpp"
#include "wire/payload_notify.hpp"
#include "wire/payload_sa.hpp"
#include "wire/payload_sk.hpp"
#include "wire/payload_ts.hpp"
#include "wire/payload_vendor.hpp"

#include <variant>

namespace ikekit::wire {

// A payload type this codec has no view for (GSPM, PS, unknown non-critical ...): the
// raw body is in RawPayload.
struct OpaquePayload {
  ByteView body;
};

using AnyPayload =
    std::variant<OpaquePayload, SaPayload, KePayload, IdPayload, CertPayload, CertReqPayload,
                 AuthPayload, NoncePayload, NotifyPayload, DeletePayload, VendorIdPayload,
                 TsPayload, SkPayload, SkfPayload, CpPayload, EapPayload>;

// Dispatches on raw.type: IDi/IDr -> IdPayload, TSi/TSr -> TsPayload, and so on.
Result<AnyPayload> parse_any(const RawPayload& raw);

} // namespace ikekit::wire
