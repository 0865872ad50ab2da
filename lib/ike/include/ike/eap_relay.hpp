// An EAP server elsewhere (RFC 3579 2: the NAS passes EAP through to an AAA server such as
// RADIUS): what the sans-I/O engine hands the I/O layer, and what it gets back.
//
//   client --IKE_AUTH{EAP}--> engine --poll_backend_request()--> I/O (RADIUS client)
//   client <--IKE_AUTH{EAP}-- engine <--backend_answer()-------- I/O
//
// The responder parks the IKE_AUTH request while the backend has it: the IKE SA stays
// half-open, retransmissions of the request are dropped as in progress (counted:
// duplicate) and the response goes out when the answer arrives. A backend that never
// answers is ended by the half-open timeout; the I/O layer normally answers `timeout`
// first (its own retries spent).
#pragma once

#include "base/bytes.hpp"
#include "base/ip_address.hpp"
#include "base/secret_bytes.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace ikekit::ike {

using BackendToken = uint64_t;

// One EAP packet from the peer for the backend.
struct EapBackendRequest {
  BackendToken token = 0; // hand it back in the answer
  uint64_t sa = 0;        // the IKE SA (SaId) waiting for the answer
  std::string peer;       // its connection (PeerConfig::name): which backend serves it
  std::string identity;   // from EAP-Response/Identity (RADIUS User-Name, RFC 3579 2.1)
  Bytes eap_message;      // the peer's EAP packet, as received
  Bytes state;            // the last answer's `state`, echoed (RADIUS State, RFC 2865 5.24)
  IpAddress local;        // our address (NAS-IP-Address, RFC 2865 5.4)
  IpAddress remote;       // the peer's outer address (Calling-Station-Id, RFC 3580 3.20)
  uint16_t remote_port = 0;
};

enum class EapBackendVerdict : uint8_t {
  challenge, // go on: eap_message is the next Request (RADIUS Access-Challenge)
  accept,    // eap_message is EAP-Success (or empty), msk the MSK (Access-Accept)
  reject,    // eap_message is EAP-Failure (or empty) (Access-Reject)
  timeout,   // no answer: the backend's retries are spent
};
std::string_view eap_backend_verdict_name(EapBackendVerdict v); // "challenge", ...

struct EapBackendAnswer {
  BackendToken token = 0;
  uint64_t sa = 0;
  EapBackendVerdict verdict = EapBackendVerdict::timeout;
  Bytes eap_message;
  Bytes state;
  SecretBytes msk;    // accept: RFC 3748 7.10 (RADIUS: MS-MPPE-Recv-Key | MS-MPPE-Send-Key)
  std::string detail; // for a failure event: which server, its Reply-Message
};

} // namespace ikekit::ike
