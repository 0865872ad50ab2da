// ike-up's control socket for ikectl(8).
#pragma once

#include "io/control_socket.hpp"
#include "io/ike_dataplane.hpp"
#include "io/ike_runner.hpp"

#include <memory>
#include <string>

// Starts the control server on the runner's loop. With the default path a socket that
// is already in use (another ike-up) is not fatal: a warning goes to stderr and ike-up
// runs without one (nullptr). An explicit --control-socket must work. `dataplane`
// (may be null; must outlive the server) gives list-sas each Child SA's traffic.
ikekit::Result<std::unique_ptr<ikekit::io::ControlServer>>
start_control_socket(ikekit::io::IkeRunner& runner, const std::string& path,
                     const std::string& dataplane, const std::string& version,
                     const std::string& started_time, ikekit::io::EngineDataplane* plane);
