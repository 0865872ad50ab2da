// How a tool ends on an error: one JSON document on stdout, one human line on stderr.
#pragma once

#include "base/result.hpp"
#include "cli/exit_code.hpp"

#include <string_view>

namespace ikekit::cli {

// Prints {"error":{"code","field","message"}} to stdout and "tool: field: message" to
// stderr; returns the exit code to end with.
int report_error(std::string_view tool, const Error& e);
int report_error(std::string_view tool, const Error& e, ExitCode code);

// "ike-decode 0.1.0 (commit abc123)".
std::string version_line(std::string_view tool);

} // namespace ikekit::cli
