// Internal: the state of EAP inside IKE_AUTH for one IKE SA (RFC 7296 2.16).
//
//   Initiator                         Responder
//   HDR, SK {IDi, [CERTREQ,] [IDr,] SAi2, TSi, TSr}  -->        (no AUTH: EAP wanted)
//                                <--  HDR, SK {IDr, [CERT,] AUTH, EAP}
//   HDR, SK {EAP}  -->
//                                <--  HDR, SK {EAP (Request ... Success)}   (repeated)
//   HDR, SK {AUTH}  -->                                          (keyed with the MSK)
//                                <--  HDR, SK {AUTH, SAr2, TSi, TSr}
#pragma once

#include "base/bytes.hpp"
#include "base/secret_bytes.hpp"
#include "crypto/digest.hpp"
#include "eap/peer.hpp"
#include "ike/eap_backend.hpp"
#include "wire/payload.hpp"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace ikekit::ike {

struct EapExchange {
  enum class Phase : uint8_t {
    first,      // initiator: our first request is out, the responder's AUTH not seen yet
    running,    // EAP messages go back and forth
    final_auth, // EAP succeeded: the AUTH pair keyed with the MSK is next
  };
  Phase phase = Phase::first;
  std::string method = "eap-mschapv2";
  // RestOfInitIDPayload / RestOfRespIDPayload (RFC 7296 2.15) for the final AUTH pair.
  Bytes id_body_i, id_body_r;
  SecretBytes msk;

  // Responder: the EAP server, and the first request's payloads (SAi2, TSi, TSr, [CP],
  // notifies), copied, since the Child SA is answered only in the final response.
  std::unique_ptr<EapServerSession> server;
  std::vector<Bytes> first_request_bodies;
  std::vector<wire::RawPayload> first_request;
  bool initial_contact = false;
  // A request parked while the EAP server elsewhere has its packet (ike/eap_relay.hpp):
  // the token of the outstanding backend request (0: none) and the request's message ID.
  BackendToken backend_token = 0;
  uint32_t parked_msg_id = 0;
  crypto::Sha256 parked_digest{}; // its digest (Engine::Impl::request_digest)

  // Initiator: the EAP peer; a failure it reported while its last answer is still out.
  std::optional<eap::Peer> peer;
  eap::FailureReason local_failure = eap::FailureReason::none;
};

} // namespace ikekit::ike
