// Running a data plane until SIGTERM/SIGINT: the TUN or XFRM backend, the stats
// lines (--stats-interval, SIGUSR1, and a last one on exit) and the exit code.
#pragma once

#include "options.hpp"

#include "json/output.hpp"

namespace esp_tunnel {

int run_tun(const Options& o, ikekit::json::JsonOutput& out);
int run_xfrm(const Options& o, ikekit::json::JsonOutput& out);

} // namespace esp_tunnel
