// What every tool's main() shares: flag parsing with CLI11 mapped onto our error
// document and exit codes, plus the common flags.
#pragma once

#include "base/result.hpp"
#include "base/time.hpp"
#include "cli/exit_code.hpp"

#include <CLI/CLI.hpp>
#include <string>

namespace ikekit::cli {

struct CommonOptions {
  bool pretty = false;
  int verbosity = 0;
};

// Adds --pretty, -v/--verbose and --version to `app`.
void add_common_flags(CLI::App& app, CommonOptions& opts, const std::string& tool);

// Parses argv. Returns -1 when the tool should go on, otherwise the exit code to
// return (0 after --help/--version, 2 after a usage error, already reported).
// Every tool calls it first, so it also sets SIGPIPE to ignored: a closed pipe gives
// EPIPE to the write, never a silent death.
int parse_args(CLI::App& app, const std::string& tool, int argc, char** argv);

// "30s", "2m", "1h", "500ms", "1h30m"; `field` names the flag in the error.
Result<Duration> parse_duration(std::string_view text, std::string_view field);

} // namespace ikekit::cli
