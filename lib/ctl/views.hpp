// The JSON documents ikectl shows for the engine's state: IKE/Child SAs (list-sas),
// configured connections (list-conns, never a secret), counters (status). Key names
// follow ike-up's events ("conn", "child", "spi_i", "spi_in", ...) so a script can join
// them; durations are relative to `now` in seconds (engine time is not wall time).
#pragma once

#include <vector>

#include "base/time.hpp"
#include "ctl/protocol.hpp"
#include "ike/engine.hpp"

namespace ikekit::ctl {

Json ike_sa_json(const ike::IkeSaInfo& sa, TimePoint now);
Json child_sa_json(const ike::ChildSaInfo& child, TimePoint now);
Json connection_json(const ike::PeerConfig& peer);
Json stats_json(const ike::Stats& stats);
// {"connecting":0, ..., "established":2, ...}: every state, zero included.
Json sas_by_state_json(const std::vector<ike::IkeSaInfo>& sas);
// "192.0.2.1:500" and ":4500" for every local address the connections use.
Json listening_json(const ike::Config& config);

}  // namespace ikekit::ctl
