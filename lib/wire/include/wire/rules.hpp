// Which payloads each exchange may carry, per role: RFC 7296 1.2-1.5, 2.x and the
// extensions listed per table. One constexpr table per exchange and role; each role
// allows one or more "shapes" (e.g. an IKE_SA_INIT response is either the full
// SA/KE/Nonce answer or just Notify payloads such as NO_PROPOSAL_CHOSEN, COOKIE or
// INVALID_KE_PAYLOAD). check_payload_rules() is the one checker that the engine and
// ike-decode both use.
//
// Always permitted by these tables (RFC 7296 3.10, 3.12): Notify and Vendor ID, any
// number. Unrecognised non-critical payload types are ignored (RFC 7296 2.5).
#pragma once

#include "base/result.hpp"
#include "wire/ids.hpp"

#include <cstdint>
#include <span>
#include <string_view>

namespace ikekit::wire {

inline constexpr uint8_t kAny = 255; // max: no upper bound

struct PayloadRule {
  PayloadType type;
  uint8_t min;
  uint8_t max;    // kAny = unbounded
  bool encrypted; // must be inside SK (or SKF after reassembly)
};

struct PayloadShape {
  std::string_view name; // e.g. "error", "eap"
  std::span<const PayloadRule> rules;
};

struct ExchangeRules {
  ExchangeType exchange;
  bool response;
  // RFC 7296 3.14: everything after IKE_SA_INIT travels in one SK (or, RFC 7383, SKF)
  // payload, which is then the only unencrypted payload.
  bool encrypted;
  std::span<const PayloadShape> shapes; // the message must match one of them
};

namespace rules {
using T = PayloadType;
constexpr bool kIn = true, kOut = false;

// RFC 7296 1.2: HDR, SAi1, KEi, Ni  [N(COOKIE)], [N(NAT_DETECTION_*)], [V+]
inline constexpr PayloadRule kIkeSaInitRequest[] = {{T::sa, 1, 1, kOut},
                                                    {T::ke, 1, 1, kOut},
                                                    {T::nonce, 1, 1, kOut},
                                                    {T::n, 0, kAny, kOut},
                                                    {T::v, 0, kAny, kOut}};
// RFC 7296 1.2: HDR, SAr1, KEr, Nr, [CERTREQ+], [N+], [V+]
inline constexpr PayloadRule kIkeSaInitResponse[] = {
    {T::sa, 1, 1, kOut},         {T::ke, 1, 1, kOut},   {T::nonce, 1, 1, kOut},
    {T::certreq, 0, kAny, kOut}, {T::n, 0, kAny, kOut}, {T::v, 0, kAny, kOut}};
// RFC 7296 1.2, 2.6, 1.3: HDR, N(COOKIE) | N(INVALID_KE_PAYLOAD) | N(NO_PROPOSAL_CHOSEN)
inline constexpr PayloadRule kIkeSaInitNotifyOnly[] = {{T::n, 1, kAny, kOut},
                                                       {T::v, 0, kAny, kOut}};

// RFC 7296 1.2: HDR, SK {IDi, [CERT+], [CERTREQ+], [IDr], AUTH, [CP], SAi2, TSi, TSr, [N+]}
// AUTH is left out when the initiator wants EAP (2.16); SA/TSi/TSr are left out for a
// childless IKE SA (RFC 6023).
inline constexpr PayloadRule kIkeAuthRequest[] = {
    {T::idi, 1, 1, kIn},  {T::cert, 0, kAny, kIn}, {T::certreq, 0, kAny, kIn}, {T::idr, 0, 1, kIn},
    {T::auth, 0, 1, kIn}, {T::cp, 0, 1, kIn},      {T::sa, 0, 1, kIn},         {T::tsi, 0, 1, kIn},
    {T::tsr, 0, 1, kIn},  {T::n, 0, kAny, kIn},    {T::v, 0, kAny, kIn}};
// RFC 7296 2.16: HDR, SK {EAP} while EAP runs; HDR, SK {AUTH} at the end of it.
inline constexpr PayloadRule kEapOnly[] = {
    {T::eap, 1, 1, kIn}, {T::n, 0, kAny, kIn}, {T::v, 0, kAny, kIn}};
inline constexpr PayloadRule kIkeAuthRequestFinal[] = {
    {T::auth, 1, 1, kIn}, {T::n, 0, kAny, kIn}, {T::v, 0, kAny, kIn}};
// RFC 7296 1.2: HDR, SK {IDr, [CERT+], AUTH, [CP], SAr2, TSi, TSr, [N+]}; with EAP (2.16)
// the first response adds EAP; RFC 5998 EAP-only: no AUTH. SA/TS absent when the
// Child SA failed (N(NO_PROPOSAL_CHOSEN) ...) or is not wanted (RFC 6023).
inline constexpr PayloadRule kIkeAuthResponse[] = {
    {T::idr, 1, 1, kIn},  {T::cert, 0, kAny, kIn}, {T::auth, 0, 1, kIn}, {T::eap, 0, 1, kIn},
    {T::cp, 0, 1, kIn},   {T::sa, 0, 1, kIn},      {T::tsi, 0, 1, kIn},  {T::tsr, 0, 1, kIn},
    {T::n, 0, kAny, kIn}, {T::v, 0, kAny, kIn}};
// RFC 7296 2.16: the last response of an EAP run: HDR, SK {AUTH, [CP], SAr2, TSi, TSr}
inline constexpr PayloadRule kIkeAuthResponseFinal[] = {
    {T::auth, 1, 1, kIn}, {T::cp, 0, 1, kIn},   {T::sa, 0, 1, kIn},  {T::tsi, 0, 1, kIn},
    {T::tsr, 0, 1, kIn},  {T::n, 0, kAny, kIn}, {T::v, 0, kAny, kIn}};
// An error answer inside SK: HDR, SK {N(AUTHENTICATION_FAILED)} etc. (RFC 7296 2.21)
inline constexpr PayloadRule kNotifyOnlyInside[] = {{T::n, 1, kAny, kIn}, {T::v, 0, kAny, kIn}};

// RFC 7296 1.3.1-1.3.3: HDR, SK {SA, Ni, [KEi], [TSi, TSr]} (new/rekeyed Child SA has TS,
// IKE SA rekey has KE and no TS); RFC 9370 adds N(ADDITIONAL_KEY_EXCHANGE).
inline constexpr PayloadRule kCreateChildSa[] = {
    {T::sa, 1, 1, kIn},  {T::nonce, 1, 1, kIn}, {T::ke, 0, 1, kIn},  {T::tsi, 0, 1, kIn},
    {T::tsr, 0, 1, kIn}, {T::n, 0, kAny, kIn},  {T::v, 0, kAny, kIn}};

// RFC 7296 1.4: HDR, SK {[N,] [D,] [CP,] ...}; empty is a liveness check.
inline constexpr PayloadRule kInformational[] = {
    {T::n, 0, kAny, kIn}, {T::d, 0, kAny, kIn}, {T::cp, 0, 1, kIn}, {T::v, 0, kAny, kIn}};

// RFC 5723 4.1: HDR, Ni, N(TICKET_OPAQUE) [,N+] / HDR, Nr [,N+] (not encrypted).
inline constexpr PayloadRule kSessionResumeRequest[] = {
    {T::nonce, 1, 1, kOut}, {T::n, 1, kAny, kOut}, {T::v, 0, kAny, kOut}};
inline constexpr PayloadRule kSessionResumeResponse[] = {
    {T::nonce, 1, 1, kOut}, {T::n, 0, kAny, kOut}, {T::v, 0, kAny, kOut}};

// RFC 9242 / RFC 9370 2.2.2: HDR, SK {[KEi(n)], [N+]}.
inline constexpr PayloadRule kIkeIntermediate[] = {
    {T::ke, 0, 1, kIn}, {T::n, 0, kAny, kIn}, {T::v, 0, kAny, kIn}};
// RFC 9370 2.2.4: HDR, SK {KEi(n), N(ADDITIONAL_KEY_EXCHANGE)} / HDR, SK {KEr(n), [N]}.
inline constexpr PayloadRule kFollowupKeRequest[] = {
    {T::ke, 1, 1, kIn}, {T::n, 1, kAny, kIn}, {T::v, 0, kAny, kIn}};
inline constexpr PayloadRule kFollowupKeResponse[] = {
    {T::ke, 1, 1, kIn}, {T::n, 0, kAny, kIn}, {T::v, 0, kAny, kIn}};

inline constexpr PayloadShape kIkeSaInitRequestShapes[] = {{"", kIkeSaInitRequest}};
inline constexpr PayloadShape kIkeSaInitResponseShapes[] = {{"", kIkeSaInitResponse},
                                                            {"notify_only", kIkeSaInitNotifyOnly}};
inline constexpr PayloadShape kIkeAuthRequestShapes[] = {
    {"", kIkeAuthRequest}, {"eap", kEapOnly}, {"eap_final_auth", kIkeAuthRequestFinal}};
inline constexpr PayloadShape kIkeAuthResponseShapes[] = {{"", kIkeAuthResponse},
                                                          {"eap", kEapOnly},
                                                          {"eap_final_auth", kIkeAuthResponseFinal},
                                                          {"error", kNotifyOnlyInside}};
inline constexpr PayloadShape kCreateChildSaRequestShapes[] = {{"", kCreateChildSa}};
inline constexpr PayloadShape kCreateChildSaResponseShapes[] = {{"", kCreateChildSa},
                                                                {"error", kNotifyOnlyInside}};
inline constexpr PayloadShape kInformationalShapes[] = {{"", kInformational}};
inline constexpr PayloadShape kSessionResumeRequestShapes[] = {{"", kSessionResumeRequest}};
inline constexpr PayloadShape kSessionResumeResponseShapes[] = {
    {"", kSessionResumeResponse}, {"notify_only", kIkeSaInitNotifyOnly}};
inline constexpr PayloadShape kIkeIntermediateShapes[] = {{"", kIkeIntermediate}};
inline constexpr PayloadShape kFollowupKeRequestShapes[] = {{"", kFollowupKeRequest}};
inline constexpr PayloadShape kFollowupKeResponseShapes[] = {{"", kFollowupKeResponse},
                                                             {"error", kNotifyOnlyInside}};
} // namespace rules

inline constexpr ExchangeRules kExchangeRules[] = {
    {ExchangeType::ike_sa_init, false, false, rules::kIkeSaInitRequestShapes},
    {ExchangeType::ike_sa_init, true, false, rules::kIkeSaInitResponseShapes},
    {ExchangeType::ike_auth, false, true, rules::kIkeAuthRequestShapes},
    {ExchangeType::ike_auth, true, true, rules::kIkeAuthResponseShapes},
    {ExchangeType::create_child_sa, false, true, rules::kCreateChildSaRequestShapes},
    {ExchangeType::create_child_sa, true, true, rules::kCreateChildSaResponseShapes},
    {ExchangeType::informational, false, true, rules::kInformationalShapes},
    {ExchangeType::informational, true, true, rules::kInformationalShapes},
    {ExchangeType::ike_session_resume, false, false, rules::kSessionResumeRequestShapes},
    {ExchangeType::ike_session_resume, true, false, rules::kSessionResumeResponseShapes},
    {ExchangeType::ike_intermediate, false, true, rules::kIkeIntermediateShapes},
    {ExchangeType::ike_intermediate, true, true, rules::kIkeIntermediateShapes},
    {ExchangeType::ike_followup_ke, false, true, rules::kFollowupKeRequestShapes},
    {ExchangeType::ike_followup_ke, true, true, rules::kFollowupKeResponseShapes},
};

// The table for an exchange and role, or nullptr for exchanges without one (GSA_*).
const ExchangeRules* find_exchange_rules(ExchangeType exchange, bool response);

// Checks the payload types of one message. `outer`: the unencrypted chain in order
// (including the SK/SKF payload); `inner`: the decrypted chain (empty for IKE_SA_INIT or
// when not decrypted). Errors (Errc::bad_value) name the offending payload by its
// lowercase short name ("sa", "idi", "nonce", "n", "sk"):
//   missing     "sa"  "IKE_SA_INIT request needs 1 SA payload, has 0"
//   too many    "ke"  "... allows at most 1 KE payload, has 2"
//   not allowed "d"   "D is not allowed in IKE_SA_INIT request"
//   placement   "idi" "IDi must be inside SK in IKE_AUTH"; "sk" for a missing SK or an
//               SK in IKE_SA_INIT.
// When no shape matches, the error is the one for the first (main) shape. Errc::unsupported
// "exchange_type" for an exchange without a table.
Result<void> check_payload_rules(ExchangeType exchange, bool response,
                                 std::span<const PayloadType> outer,
                                 std::span<const PayloadType> inner);

} // namespace ikekit::wire
