// INFORMATIONAL (RFC 7296 1.4): Delete, DPD, error notifies and MOBIKE's address
// updates. Reads the IKE SA's Child SAs and its request in flight; writes Child SA
// removals, the IKE SA's state (deleting, down) and ChildSaDown events.
#pragma once

#include "ike/engine_impl.hpp"

namespace ikekit::ike::informational {

// Builds and sends the request of task `t` (dpd, delete_ike, delete_child,
// update_sa_addresses).
void start(EngineContext& cx, IkeSa& sa, const Task& t);
void process_request(EngineContext& cx, IkeSa& sa, Inbound& in);
void process_response(EngineContext& cx, IkeSa& sa, Inbound& in);

} // namespace ikekit::ike::informational
