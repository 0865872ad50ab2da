// ike-up's RADIUS options (ike-up(8) "EAP-RADIUS"): the servers an EAP-relaying responder
// (--remote-auth eap-radius) passes EAP to (RFC 3579).
#pragma once

#include "base/result.hpp"
#include "cli/ike_up_options.hpp"
#include "io/eap_radius_relay.hpp"

#include <functional>
#include <string>

namespace ikekit::cli {

inline constexpr uint16_t kRadiusPort = 1812; // RFC 2865 3 (IANA "radius")

// --radius-server ADDR[:PORT] (repeatable, in fail-over order; an IPv6 address with a
// port in brackets: [2001:db8::1]:1812), --radius-secret-file (one shared secret for
// all, read like a PSK file), --radius-timeout (default 2s) and --radius-retries
// (default 2: three transmissions per server). `name` turns a flag into its field name.
Result<io::RadiusRelayConfig>
radius_relay_config(const ConnectionOptions& c,
                    const std::function<std::string(const char*)>& name);

} // namespace ikekit::cli
