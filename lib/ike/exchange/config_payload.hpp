// The configuration payload in IKE_AUTH (RFC 7296 2.19, 3.15): CFG_REQUEST / CFG_REPLY,
// virtual IPs and DNS. Reads the connection (request_vips, pools, dns) and writes sa.cp;
// the responder leases from the context's address pools (Lease events).
#pragma once

#include "ike/engine_impl.hpp"

namespace ikekit::ike::config_payload {

// Initiator: the CP(CFG_REQUEST) of the first IKE_AUTH request, when the connection
// asks for virtual IPs; and the TSi to propose (0.0.0.0/0, ::/0 for them).
void write_cfg_request(const IkeSa& sa, wire::PayloadWriter& w, std::vector<Bytes>& storage);
std::vector<TsSpec> initiator_local_ts(const EngineContext& cx, const IkeSa& sa);
// Initiator: reads the CFG_REPLY of the final IKE_AUTH response into sa.cp.
void read_cfg_reply(IkeSa& sa, const Inbound& in);
// Responder: notes the peer's CFG_REQUEST (the first IKE_AUTH request carries it).
void read_cfg_request(IkeSa& sa, const Inbound& in);
// Responder, in the IKE_AUTH response that carries the Child SA: leases addresses for
// a noted request, writes the CP(CFG_REPLY) and narrows `child`'s remote TS to them.
// A Failure (step cp) when an address was asked for and none could be leased: the
// caller sends N(INTERNAL_ADDRESS_FAILURE) and creates no Child SA (RFC 7296 3.10.1).
std::optional<Failure> answer_cfg_request(EngineContext& cx, IkeSa& sa, wire::PayloadWriter& w,
                                          std::vector<Bytes>& storage, ChildConfig& child);
// A Child SA of an IKE SA with virtual IPs (IKE_AUTH or CREATE_CHILD_SA) covers them:
// the initiator's side of `child` becomes the virtual IPs (our local TS when we asked
// for them and configured none; the remote TS when we leased them).
void apply_virtual_ips(const IkeSa& sa, ChildConfig& child);
// Responder: gives back the IKE SA's leases (Lease events); called when it goes down.
void release_leases(EngineContext& cx, IkeSa& sa);

} // namespace ikekit::ike::config_payload
