// ike-up's --threads (io::IkeRunner engines, ike/shard.hpp).
#pragma once

#include "base/result.hpp"
#include "ike/config.hpp"

#include <cstdint>
#include <string>

namespace ikekit::cli {

// The number of engines for `text` ("auto" or 1..ike::kMaxShards). "auto" is one engine
// for now: under an IKE_SA_INIT flood several engines completed no legitimate handshake
// (ike-bench flood), because the socket thread's hand-off to them drops what does not
// fit. A number above 1 is a usage error (field "--threads") when `config` cannot be
// split between engines (io::check_shardable) or `radius` (EAP relayed to RADIUS).
Result<uint32_t> resolve_threads(const std::string& text, const ike::Config& config, bool radius);

} // namespace ikekit::cli
