// SA payload proposals (RFC 7296 3.3): encoding our configured proposals, selecting one
// from the peer's offer as responder (RFC 7296 2.7), checking the responder's choice as
// initiator, and printing proposals as strongSwan strings for Failure evidence.
#pragma once

#include "base/bytes.hpp"
#include "crypto/proposal_string.hpp"
#include "crypto/suite.hpp"
#include "wire/payload_sa.hpp"

#include <optional>
#include <string>
#include <vector>

namespace ikekit::ike {

// One transform of each type, as negotiated. integ null with AEAD; ke null for a Child
// SA without PFS; esn only for ESP.
struct Chosen {
  uint8_t number = 1; // proposal number in the offer
  const crypto::TransformInfo* encr = nullptr;
  const crypto::TransformInfo* integ = nullptr;
  const crypto::TransformInfo* prf = nullptr;
  const crypto::TransformInfo* ke = nullptr;
  bool esn = false;
  Bytes spi; // the proposer's SPI from the chosen proposal (4 for ESP, 8 for an IKE rekey)

  std::string to_string() const; // "aes256gcm16-prfsha256-ecp256"
};

// One chosen transform's keyword ("aes256gcm16"); empty for none (integ with AEAD, ke
// without PFS), as the events and SA listings show it.
std::string keyword_of(const crypto::TransformInfo* t);

// Our proposals as an SA payload body. `spi` goes into every proposal (empty in
// IKE_SA_INIT). ESP proposals without an ESN transform get NO_ESN (RFC 7296 3.3.2).
// `first_ke`: the KE group to list first (the one our KE payload uses; RFC 7296 1.2).
// The wire::SaPayload holds views into `storage`.
wire::SaPayload encode_proposals(const std::vector<crypto::ParsedProposal>& ours,
                                 wire::ProtocolId proto, ByteView spi,
                                 const crypto::TransformInfo* first_ke, bool with_ke);

// The answer: one proposal with one transform of each type (RFC 7296 3.3).
wire::SaPayload encode_chosen(const Chosen& c, wire::ProtocolId proto, ByteView spi);

// Responder selection: our proposals in our order, the first offered proposal that has
// a transform of every type in common (a type absent on both sides is fine). `ke_hint`:
// prefer this group when both have it (the group of the peer's KE payload).
// `ignore_ke`: the first Child SA in IKE_AUTH, where KE transforms do not apply (RFC 7296
// 1.2); then ke stays null. The SPIs of the offer are views kept in Chosen::spi (copied).
std::optional<Chosen> select_proposal(const std::vector<crypto::ParsedProposal>& ours,
                                      const wire::SaPayload& offered, wire::ProtocolId proto,
                                      const crypto::TransformInfo* ke_hint, bool ignore_ke = false);

// Initiator: the responder's answer must be one proposal and a subset of one of ours.
std::optional<Chosen> check_chosen(const std::vector<crypto::ParsedProposal>& ours,
                                   const wire::SaPayload& answer, wire::ProtocolId proto,
                                   bool ignore_ke = false);

// Does one of our proposals contain every transform of `chosen`? (RFC 7296 2.7: an SA
// negotiated under one connection, checked against another one.)
bool proposals_allow(const std::vector<crypto::ParsedProposal>& ours, const Chosen& chosen,
                     wire::ProtocolId proto);

// Evidence strings.
std::vector<std::string> proposal_strings(const std::vector<crypto::ParsedProposal>& ours);
std::vector<std::string> proposal_strings(const wire::SaPayload& offered);

// Does any of our proposals allow this KE group?
bool proposals_allow_ke(const std::vector<crypto::ParsedProposal>& ours, uint16_t group);

} // namespace ikekit::ike
