// IKE_SA_INIT (RFC 7296 1.2): the first exchange, in the clear. Reads the connections
// (proposals, force_encap, CAs) and the admission limits; writes a new IkeSa (SPIs,
// chosen algorithms, nonces, the handshake's copies of both messages, NAT detection,
// peer features) and its keys (SK_*), then hands the initiator to IKE_AUTH.
#pragma once

#include "ike/engine_impl.hpp"

namespace ikekit::ike::ike_sa_init {

// Initiator: a new IKE SA for `peer`, its request sent; its SaId.
Result<SaId> start(EngineContext& cx, const std::shared_ptr<const PeerConfig>& peer);
// Initiator: (re)sends the request, e.g. with a COOKIE or another KE group (2.6, 1.3).
void send_init_request(EngineContext& cx, IkeSa& sa);
// Responder: a request for no SA of ours (receive.cpp checked its header); makes the
// IKE SA when it is admitted and a proposal fits, else answers statelessly.
void process_request(EngineContext& cx, const Datagram& dg, const wire::Message& msg);
// Initiator: the response (or a COOKIE / INVALID_KE_PAYLOAD / error notify), let in
// while the SA is connecting (sa_state.cpp: kArrivals); checks its message ID itself.
void process_response(EngineContext& cx, IkeSa& sa, Inbound& in);

} // namespace ikekit::ike::ike_sa_init
