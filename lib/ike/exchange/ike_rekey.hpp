// Rekey of the IKE SA with CREATE_CHILD_SA (RFC 7296 1.3.2, 2.8, 2.18), reached through
// create_child_sa. Reads the IKE SA's proposals and SK_d; writes the IKE SA's SPIs, keys
// and message IDs (its SaId stays), a silent entry for the old SPIs that finishes the
// Delete, sa.peer_ike_rekey while our own rekey is in flight (2.8.2), IkeSaRekeyed.
#pragma once

#include "ike/engine_impl.hpp"

namespace ikekit::ike::ike_rekey {

// Initiator: SA (protocol IKE, our new SPI), Ni, KEi into `w`; false when no key
// exchange could be made (the task is dropped).
bool write_request(EngineContext& cx, IkeSa& sa, PendingCreate& pc, wire::PayloadWriter& w,
                   std::vector<Bytes>& storage);
// Responder: answers a rekey of the IKE SA (an SA payload with protocol IKE).
void process_request(EngineContext& cx, IkeSa& sa, Inbound& in, const wire::SaPayload* offered,
                     const wire::NoncePayload* ni, const std::optional<wire::KePayload>& ke,
                     const crypto::TransformInfo* hint);
// Initiator: the answer to our rekey of the IKE SA (`pc` is the request).
void process_response(EngineContext& cx, IkeSa& sa, Inbound& in, PendingCreate& pc,
                      const wire::RawPayload* n_raw, const std::optional<wire::KePayload>& ke);
// RFC 7296 2.8.2: the peer deleted the IKE SA that we were rekeying after answering its
// rekey of it: it finished without noticing ours; its new IKE SA takes over.
void adopt_peer_ike_rekey(EngineContext& cx, IkeSa& sa);

} // namespace ikekit::ike::ike_rekey
