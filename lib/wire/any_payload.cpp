#include "wire/any_payload.hpp"

namespace ikekit::wire {
namespace {

template <typename P> Result<AnyPayload> lift(Result<P> r) {
  if (!r) return std::move(r).error();
  return AnyPayload(std::move(*r));
}

} // namespace

Result<AnyPayload> parse_any(const RawPayload& raw) {
  switch (raw.payload_type()) {
  case PayloadType::sa:
    return lift(parse_sa(raw.body));
  case PayloadType::ke:
    return lift(parse_ke(raw.body));
  case PayloadType::idi:
  case PayloadType::idr:
    return lift(parse_id(raw.body));
  case PayloadType::cert:
    return lift(parse_cert(raw.body));
  case PayloadType::certreq:
    return lift(parse_certreq(raw.body));
  case PayloadType::auth:
    return lift(parse_auth(raw.body));
  case PayloadType::nonce:
    return lift(parse_nonce(raw.body));
  case PayloadType::n:
    return lift(parse_notify(raw.body));
  case PayloadType::d:
    return lift(parse_delete(raw.body));
  case PayloadType::v:
    return lift(parse_vendor_id(raw.body));
  case PayloadType::tsi:
  case PayloadType::tsr:
    return lift(parse_ts(raw.body));
  case PayloadType::sk:
    return lift(parse_sk(raw));
  case PayloadType::skf:
    return lift(parse_skf(raw));
  case PayloadType::cp:
    return lift(parse_cp(raw.body));
  case PayloadType::eap:
    return lift(parse_eap(raw.body));
  default:
    break;
  }
  return AnyPayload(OpaquePayload{raw.body});
}

} // namespace ikekit::wire
