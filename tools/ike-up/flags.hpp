// ike-up's flags (ike-up(8)).
#pragma once

#include "cli/ike_up_options.hpp"

#include <CLI/CLI.hpp>
#include <string>

void add_ike_up_flags(CLI::App& app, ikekit::cli::IkeUpOptions& o,
                      ikekit::cli::ConnectionOptions& c, std::string& config,
                      std::string& control_socket);
