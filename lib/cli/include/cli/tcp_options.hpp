// ike-up's TCP options (ike-up(8) "TCP"): IKE and ESP in TCP streams (RFC 9329).
#pragma once

#include "base/result.hpp"
#include "cli/ike_up_options.hpp"
#include "ike/config.hpp"
#include "io/tcp_streams.hpp"

#include <functional>
#include <string>

namespace ikekit::cli {

// A connection's --transport udp|tcp|auto and --tcp-fallback-after (above 0) into `p`.
// `name` turns a flag into its field name.
Result<void> apply_transport(const ConnectionOptions& c,
                             const std::function<std::string(const char*)>& name,
                             ike::PeerConfig& p);

// --tcp-port (1 to 65535) into `config`; --tcp-max-connections (at least 1) and
// --tcp-idle-timeout into `tcp` (io::IkeRunner listens when some connection's transport
// is tcp or auto).
Result<void> apply_tcp_options(const IkeUpOptions& opts, ike::Config& config,
                               io::TcpStreamsOptions& tcp);

} // namespace ikekit::cli
