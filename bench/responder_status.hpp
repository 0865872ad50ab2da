// The counters a running ike-up exposes on its control socket (ikectl(8) "status",
// ikekit-json(7) ikekit.ctl/1): messages, cookies sent, drops by reason and whatever
// counters the engine adds (half-open limits, ...), and its IKE SAs by state.
#pragma once

#include "base/result.hpp"
#include "base/time.hpp"

#include "json/output.hpp"
#include <string>

namespace ikekit::bench {

// The "result" of a status request: {"version",...,"counters":{...},"ike_sas":{...},...}.
// Errc::environment / io / timeout when the socket does not answer within `timeout`.
Result<json::Json> query_responder_status(const std::string& socket_path, Duration timeout);

} // namespace ikekit::bench
