// Traffic selectors (RFC 7296 2.9): conversion between the TS payload and TsSpec, and
// narrowing. The responder answers with the intersection of what was proposed and what
// its policy allows; an empty intersection is TS_UNACCEPTABLE.
#pragma once

#include "base/bytes.hpp"
#include "ike/config.hpp"
#include "wire/payload_ts.hpp"

#include <vector>

namespace ikekit::ike {

// IP selectors of a payload (other types are skipped: we never agree to them).
std::vector<TsSpec> from_payload(const wire::TsPayload& p);
// A payload viewing the addresses in `storage` (kept alive by the caller).
wire::TsPayload to_payload(const std::vector<TsSpec>& ts, std::vector<Bytes>& storage);

// The intersection of two ranges, if not empty (same family, protocol 0 matches any).
std::optional<TsSpec> intersect(const TsSpec& a, const TsSpec& b);
// Every non-empty pairwise intersection of `proposed` with `allowed` (RFC 7296 2.9).
std::vector<TsSpec> narrow(const std::vector<TsSpec>& proposed, const std::vector<TsSpec>& allowed);
// Is every selector of `sub` inside one of `super`? (The initiator's check of the answer.)
bool is_subset(const std::vector<TsSpec>& sub, const std::vector<TsSpec>& super);

std::vector<std::string> ts_strings(const std::vector<TsSpec>& ts);

} // namespace ikekit::ike
