// The JSON documents of the engine's state, as ikectl shows them (ikectl(8),
// ikekit-json(7) "ikekit.ctl/1"): IKE/Child SAs (list-sas), configured connections
// (list-conns, never a secret), address pools (list-leases), counters (status). Key
// names follow ike-up's events ("conn", "child", "spi_i", "spi_in", ...) so a script can
// join them; durations are relative to `now` in seconds (engine time is not wall time).
#pragma once

#include "base/time.hpp"
#include "ike/engine.hpp"

#include "json/output.hpp"
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace ikekit::json {

// One Child SA's traffic, from the data plane (the engine does not see ESP).
struct ChildCounters {
  uint64_t bytes_in = 0, packets_in = 0;   // inner bytes/packets opened
  uint64_t bytes_out = 0, packets_out = 0; // inner bytes/packets sealed
  std::optional<std::string> last_used;    // RFC 3339; nullopt: never used, or not known
};
// By inbound ESP SPI; nullopt when there is no data plane or it does not hold the SA.
using CountersFn = std::function<std::optional<ChildCounters>(uint32_t spi_in)>;

// `counters` may be empty: the traffic keys are then null.
Json ike_sa_json(const ike::IkeSaInfo& sa, TimePoint now, const CountersFn& counters = nullptr);
Json child_sa_json(const ike::ChildSaInfo& child, TimePoint now,
                   const std::optional<ChildCounters>& counters);
Json connection_json(const ike::PeerConfig& peer);
// list-leases: one address pool, its counts and its leases in address order.
Json pool_json(const ike::PoolInfo& pool);
Json stats_json(const ike::Stats& stats);
// {"connecting":0, ..., "established":2, ...}: every state, zero included.
Json sas_by_state_json(const std::vector<ike::IkeSaInfo>& sas);
// "192.0.2.1:500" and ":4500" for every local address the connections use.
Json listening_json(const ike::Config& config);

} // namespace ikekit::json
