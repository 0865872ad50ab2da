// strongSwan-style proposal strings ("aes256gcm16-prfsha256-x25519,aes128-sha256-modp2048"),
// the syntax users already know (DESIGN 4). Keywords are the `keyword` column of the
// transform table plus strongSwan's aliases (aes128gcm = aes128gcm16, aes128gcm64/96/128,
// sha = sha1, sha2_256/384/512, curve25519, curve448).
//
// Semantics follow strongSwan's proposal_t::from_string:
//  * IKE: encr, prf and ke are mandatory; without an explicit prf, one is derived from
//    each integrity algorithm (sha256 -> prfsha256, aesxcbc -> prfaesxcbc, ...). An AEAD
//    proposal's integrity algorithms only serve that derivation and are then dropped.
//  * ESP: encr mandatory; integ mandatory for non-AEAD and an error with AEAD; prf not
//    allowed; ke optional (PFS); no esn keyword means noesn.
//  * AEAD and non-AEAD encryption cannot share one proposal; separate them with ','.
//  * Decode-only transforms (TransformInfo::decode_only: 3DES, AES-CCM) are refused, so
//    negotiation never offers or accepts them.
#pragma once

#include "base/result.hpp"
#include "crypto/suite.hpp"

#include <string_view>
#include <vector>

namespace ikekit::crypto {

enum class ProposalKind : uint8_t { ike, esp };

struct ParsedProposal {
  std::vector<const TransformInfo*> encr, integ, prf, ke, esn;
};

// One proposal (no commas). Errors: Errc::usage, field "ike_proposal" / "esp_proposal",
// message echoing the token, e.g. "aes999": unknown algorithm; expected one of aes128, ...
Result<ParsedProposal> parse_proposal(std::string_view text, ProposalKind kind);
// Several proposals separated by ','; field "ike_proposal[1]" names the failing one.
Result<std::vector<ParsedProposal>> parse_proposals(std::string_view text, ProposalKind kind);

} // namespace ikekit::crypto
