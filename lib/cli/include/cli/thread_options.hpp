// ike-up's --threads (io::IkeRunner engines, ike/shard.hpp).
#pragma once

#include "base/result.hpp"
#include "io/ike_runner.hpp"

#include <cstdint>
#include <string>

namespace ikekit::cli {

struct ThreadChoice {
  uint32_t engines = 1;
  // "auto" chose one engine because the configuration cannot have several: why, for one
  // info line on stderr (empty otherwise).
  std::string note;
};

// The number of engines for `text` ("auto" or 1..ike::kMaxShards) and the runner's
// options `ro` (connections, RADIUS relays, connections to initiate):
//   - auto: the number of online cores (at most ike::kMaxShards) when the configuration
//     can be split between engines, else 1 with a note saying why -- state that must be
//     shared and is not (io::check_shardable), EAP relayed to RADIUS, or only
//     connections that we initiate (they all run on engine 0);
//   - a number above 1 when the configuration cannot be split (the first two reasons):
//     a usage error, field "--threads".
Result<ThreadChoice> resolve_threads(const std::string& text, const io::IkeRunnerOptions& ro);

} // namespace ikekit::cli
