// The CI regression gate (ike-bench --baseline FILE --max-regression PCT): compare
// every metric of every result with the same result (same name and params) of a
// baseline ike-bench/1 document.
#pragma once

#include "base/result.hpp"

#include "json/output.hpp"
#include <string>
#include <vector>

namespace ikekit::bench {

// Checks that `doc` is an ikekit.ike-bench/1 document with a "results" array.
// Errc::usage naming `field` (the flag that named the file) and the file.
Result<void> check_bench_document(const json::Json& doc, const std::string& file,
                                  const std::string& field);

// Reads and checks a baseline file: Errc::usage, field "--baseline", message naming
// the file when it cannot be read, is not JSON or not an ike-bench/1 document.
Result<json::Json> load_baseline(const std::string& path);

struct GateRegression {
  std::string name;
  json::Json params;
  std::string metric; // "packets_per_s", "ratio.vs_openssl_raw", ...
  double baseline = 0;
  double current = 0;
  double change_pct = 0; // (current - baseline) / baseline * 100
};

struct GateReport {
  std::vector<GateRegression> regressions;
  size_t compared = 0;                // metrics compared
  std::vector<std::string> unmatched; // current results with no baseline counterpart
  bool passed() const { return regressions.empty(); }
};

// Compares each result of `current` that has no error with the baseline result of the
// same name and params: every top-level numeric metric whose direction
// metric_direction() knows, and every number in the "ratio" object ("ratio.<key>").
// The regression rule is is_regression(). Both documents must have passed
// check_bench_document().
GateReport run_gate(const json::Json& baseline, const json::Json& current, double max_pct);

// {"baseline":FILE,"max_regression_pct":PCT,"compared":N,"regressions":[{name,params,
//  metric,baseline,current,change_pct}],"passed":bool}
json::Json gate_to_json(const GateReport& report, const std::string& file, double max_pct);

} // namespace ikekit::bench
