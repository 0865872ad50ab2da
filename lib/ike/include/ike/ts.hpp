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

// RFC 7296 2.9: the selectors a responder allows for the peer's side (the TSi of a
// request), given its configured remote selectors. Nothing configured: the peer's
// address (strongSwan's "dynamic"). Behind a NAT (RFC 7296 2.23) the peer proposes its
// inner address, which IKEv2 never tells us: as strongSwan, one single-address selector
// of the proposal is also allowed, never a range and never an address on our own side
// (`local_allowed`). NAT detection is the peer's word, so this is all it can gain.
std::vector<TsSpec> remote_ts_policy(const std::vector<TsSpec>& configured,
                                     const IpAddress& peer_address, bool peer_behind_nat,
                                     const std::vector<TsSpec>& proposed,
                                     const std::vector<TsSpec>& local_allowed);

std::vector<std::string> ts_strings(const std::vector<TsSpec>& ts);

} // namespace ikekit::ike
