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
// Responder: whether `msg` is the COOKIE retry (RFC 7296 2.6: "N(COOKIE) ... as the first
// payload and all other payloads unchanged") of the request the half-open `sa` answered,
// with a valid COOKIE. If so it becomes the answered request: its bytes are what AUTH
// covers (2.15) and its digest is what a retransmission is recognised by (2.1), so the
// cached response answers it. This happens when the response went missing and the
// initiator's retransmission was answered with a COOKIE by a screen in front of this
// engine (io/engine_dispatcher.hpp) or by a second responder sharing the secret.
bool adopt_cookie_retry(EngineContext& cx, IkeSa& sa, const Datagram& dg, const wire::Message& msg);
// Initiator: the response (or a COOKIE / INVALID_KE_PAYLOAD / error notify), let in
// while the SA is connecting (sa_state.cpp: kArrivals); checks its message ID itself.
void process_response(EngineContext& cx, IkeSa& sa, Inbound& in);

} // namespace ikekit::ike::ike_sa_init
