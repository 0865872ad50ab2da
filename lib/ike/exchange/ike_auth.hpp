// IKE_AUTH (RFC 7296 1.2, 2.15): identities, AUTH, certificates and the first Child SA;
// EAP inside it (2.16) is ike_auth_eap.cpp, the configuration payload config_payload.
// Reads the connections (identities, auth methods, certificates, children), the
// handshake state of IKE_SA_INIT (sa.hs); writes the IKE SA's connection (a responder
// may switch by IDi/IDr), its authentication, its first Child SA, state established
// (IkeSaUp, ChildSaUp) and its timers, or a Failure and AUTHENTICATION_FAILED.
#pragma once

#include "ike/engine_impl.hpp"

namespace ikekit::ike::ike_auth {

// Initiator, after IKE_SA_INIT: IDi, [CERT], [N(INITIAL_CONTACT)], [CERTREQ], [IDr],
// AUTH (or none: EAP), [CP], SAi2, TSi, TSr, [N(MOBIKE_SUPPORTED)].
void start(EngineContext& cx, IkeSa& sa);
void process_request(EngineContext& cx, IkeSa& sa, Inbound& in);
void process_response(EngineContext& cx, IkeSa& sa, Inbound& in);

// Used by EAP (ike_auth_eap.cpp) too:
// Responder: answers request `msg_id` with [EAP,] N(t) and fails the SA with `f`.
void reject_request(EngineContext& cx, IkeSa& sa, uint32_t msg_id, Failure f, wire::NotifyType t,
                    ByteView eap = {});
// Initiator: the responder did not authenticate (INFORMATIONAL AUTHENTICATION_FAILED).
void refuse_responder(EngineContext& cx, IkeSa& sa, Failure f);
// Responder, the initiator authenticated: IDr, [CERT], AUTH, the Child SA answer to
// `child_request` (the first IKE_AUTH request), sent as the response to `msg_id`.
void establish_as_responder(EngineContext& cx, IkeSa& sa, Inbound& child_request, uint32_t msg_id,
                            wire::PayloadWriter& w, ByteView inner, std::vector<Bytes>& storage);
// Initiator, the responder authenticated: the IKE SA is up, its first Child SA from `in`.
void establish_as_initiator(EngineContext& cx, IkeSa& sa, Inbound& in);

} // namespace ikekit::ike::ike_auth
