// CREATE_CHILD_SA (RFC 7296 1.3): a new Child SA, the rekey of one (N(REKEY_SA)), and
// the entry of an IKE SA rekey (an SA payload of protocol IKE: ike_rekey.hpp). Reads the
// IKE SA's connection, Child SAs and SK_d; writes sa.pending (the request in flight),
// new Child SAs (ChildSaUp, ChildSaRekeyed) and the rekeyed flags; queues the Delete of
// the SA a rekey replaced or of the loser of a simultaneous rekey (2.8.1).
#pragma once

#include "ike/engine_impl.hpp"

namespace ikekit::ike::create_child_sa {

// Builds and sends the request of task `t` (create_child, rekey_child, rekey_ike).
void start(EngineContext& cx, IkeSa& sa, const Task& t);
void process_request(EngineContext& cx, IkeSa& sa, Inbound& in);
void process_response(EngineContext& cx, IkeSa& sa, Inbound& in);

} // namespace ikekit::ike::create_child_sa
