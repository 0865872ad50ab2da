// What the ike-bench subcommands share: the global options (--baseline,
// --max-regression and the common flags), stderr progress, and how a run ends
// (the document, the gate, the exit code).
#pragma once

#include "cli/app.hpp"

#include "json/output.hpp"
#include <chrono>
#include <optional>
#include <string>

namespace ikekit::bench_tool {

inline constexpr const char* kTool = "ike-bench";

struct GlobalOptions {
  cli::CommonOptions common;
  std::string baseline;       // --baseline FILE
  double max_regression = 10; // --max-regression PCT
};

// Progress on stderr once a run has taken longer than a second: one line updated in
// place with \r on a terminal, plain lines otherwise.
class Progress {
public:
  Progress();
  ~Progress();
  void update(const std::string& line);

private:
  std::chrono::steady_clock::time_point start_;
  bool tty_ = false;
  bool shown_ = false;
  size_t last_len_ = 0;
};

// Prints {"schema","context","results"[,"gate"]} on stdout, lists regressions on
// stderr, and returns the exit code: 1 when a result failed or the gate found a
// regression, else 0. `baseline` is the loaded --baseline document, if any.
int finish(const GlobalOptions& g, const std::optional<json::Json>& baseline, json::Json results,
           bool any_failed);

} // namespace ikekit::bench_tool
