// esp-tunnel's JSON Lines (schema ikekit.esp-tunnel/1, ikekit-json(7)): the `started`
// line (never keys) and `stats` lines.
#pragma once

#include "io/dataplane/stats.hpp"
#include "options.hpp"

#include "json/output.hpp"
#include <string>
#include <string_view>

namespace esp_tunnel {

inline constexpr std::string_view kSchema = "ikekit.esp-tunnel/1";

// seq: the outbound sequence state (tun backend without --keys-are-fresh), or null.
ikekit::json::Json started_json(const Options& o, std::string_view device, std::string_view version,
                                const SeqState* seq = nullptr);
// reason: "interval", "signal" (SIGUSR1) or "exit" (the last line).
ikekit::json::Json stats_json(const ikekit::io::dataplane::DataplaneStats& s,
                              std::string_view reason, double uptime_s);

} // namespace esp_tunnel
