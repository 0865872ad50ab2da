// MOBIKE, RFC 4555: IKEv2 mobility. Reads the connection's mobike switch and the
// messages' address notifies; writes sa.mobike, the peer's additional addresses, the
// IKE SA's endpoints (through EngineContext::move_sa: IkeSaMoved), COOKIE2 and NAT
// detection of UPDATE_SA_ADDRESSES.
#pragma once

#include "ike/engine_impl.hpp"

namespace ikekit::ike::mobike {

// IKE_AUTH: N(MOBIKE_SUPPORTED) in the initiator's first request, and in the
// responder's final response when the request had it (3.3).
void offer(const IkeSa& sa, wire::PayloadWriter& w);
void answer(IkeSa& sa, const Inbound& request, wire::PayloadWriter& w);
void accept(IkeSa& sa, const Inbound& response); // initiator, final response
// Initiator: moves the IKE SA to `local` and queues UPDATE_SA_ADDRESSES.
Result<void> move_local(EngineContext& cx, IkeSa& sa, const IpAddress& local);
// INFORMATIONAL: the initiator's UPDATE_SA_ADDRESSES request (3.5) and its response.
void write_update_sa_addresses(EngineContext& cx, IkeSa& sa, wire::PayloadWriter& w,
                               std::vector<Bytes>& storage);
void process_update_response(EngineContext& cx, IkeSa& sa, const Inbound& in);
// Responder side of any INFORMATIONAL request: the address list (3.6), COOKIE2 echoed
// (3.8) and, for UPDATE_SA_ADDRESSES, the move to the request's addresses with NAT
// detection in the response (3.5). Called before the response is sealed.
void answer_informational(EngineContext& cx, IkeSa& sa, const Inbound& in, wire::PayloadWriter& w,
                          std::vector<Bytes>& storage);
// The message is an UPDATE_SA_ADDRESSES of a MOBIKE SA: its addresses are handled by
// answer_informational, not by follow_peer.
bool is_address_update(const IkeSa& sa, const Inbound& in);

} // namespace ikekit::ike::mobike
