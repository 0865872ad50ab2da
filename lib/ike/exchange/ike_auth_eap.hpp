// EAP inside IKE_AUTH (RFC 7296 2.16), reached through ike_auth while sa.eap is set.
// Reads the connection's EAP backend (responder) or EAP credentials (initiator) and the
// first IKE_AUTH request; writes sa.eap (the EAP session, released when the IKE SA is
// up), the engine's backend request queue (EAP relayed to a server elsewhere), and
// ends in ike_auth's establish_as_* or reject_request / refuse_responder.
#pragma once

#include "ike/engine_impl.hpp"

namespace ikekit::ike::ike_auth_eap {

// Initiator: the first IKE_AUTH request carries no AUTH (2.16); EAP will follow.
void begin_as_initiator(EngineContext& cx, IkeSa& sa);
// Responder: the first request had no AUTH: IDr, [CERT], AUTH and the first EAP packet.
void begin_as_responder(EngineContext& cx, IkeSa& sa, Inbound& in, const wire::IdPayload& idi);
// Initiator: the responder's first IKE_AUTH response authenticated it; EAP goes on.
void continue_as_initiator(EngineContext& cx, IkeSa& sa, Inbound& in, const wire::IdPayload& idr);
// The IKE_AUTH requests and responses after the first, while EAP runs.
void process_request(EngineContext& cx, IkeSa& sa, Inbound& in);
void process_response(EngineContext& cx, IkeSa& sa, Inbound& in);
// Responder: the answer of an EAP server elsewhere (Engine::backend_answer).
void on_backend_answer(EngineContext& cx, const EapBackendAnswer& a);
// The half-open deadline came while the EAP server had the request: it is answered as
// if the backend had timed out (EAP-Failure, AUTHENTICATION_FAILED); false if none.
bool give_up_on_backend(EngineContext& cx, IkeSa& sa);
// Responder: the client answered EAP with AUTHENTICATION_FAILED (strongSwan does so
// after an MS-CHAPv2 Failure): `f` becomes step eap when our method was failing.
void refused_by_peer(const IkeSa& sa, Failure& f);

} // namespace ikekit::ike::ike_auth_eap
