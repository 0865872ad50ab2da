#include "bench_cli.hpp"

#include "bench/context.hpp"
#include "bench/gate.hpp"

#include <cmath>
#include <cstdio>
#include <iostream>
#include <unistd.h>

namespace ikekit::bench_tool {

Progress::Progress() : start_(std::chrono::steady_clock::now()), tty_(isatty(2) == 1) {}

Progress::~Progress() {
  if (tty_ && shown_) std::cerr << "\r" << std::string(last_len_, ' ') << "\r" << std::flush;
}

void Progress::update(const std::string& line) {
  if (!shown_ && std::chrono::steady_clock::now() - start_ < std::chrono::seconds(1)) return;
  shown_ = true;
  std::string text = std::string(kTool) + ": " + line;
  if (tty_) {
    std::string pad = text.size() < last_len_ ? std::string(last_len_ - text.size(), ' ') : "";
    std::cerr << "\r" << text << pad << std::flush;
    last_len_ = text.size();
  } else {
    std::cerr << text << std::endl;
  }
}

namespace {
std::string params_text(const json::Json& params) {
  std::string s;
  if (params.is_object())
    for (const auto& [k, v] : params.items())
      s += (s.empty() ? "" : " ") + k + "=" + (v.is_string() ? v.get<std::string>() : v.dump());
  return s;
}
// 1234567 for rates, 0.9188 for ratios: readable, never in exponent notation.
std::string number_text(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, std::fabs(v) >= 1000 ? "%.0f" : "%.4g", v);
  return buf;
}
} // namespace

int finish(const GlobalOptions& g, const std::optional<json::Json>& baseline, json::Json results,
           bool any_failed) {
  json::Json doc;
  doc["schema"] = bench::kSchemaBench;
  doc["context"] = bench::collect_context();
  doc["results"] = std::move(results);
  bool regressed = false;
  if (baseline) {
    bench::GateReport report = bench::run_gate(*baseline, doc, g.max_regression);
    doc["gate"] = bench::gate_to_json(report, g.baseline, g.max_regression);
    for (const auto& u : report.unmatched)
      std::cerr << kTool << ": --baseline: no result " << u << " in " << g.baseline
                << "; not compared\n";
    for (const auto& r : report.regressions)
      std::cerr << kTool << ": regression: " << r.name << " " << params_text(r.params) << " "
                << r.metric << ": baseline " << number_text(r.baseline) << ", now "
                << number_text(r.current) << " (" << (r.change_pct >= 0 ? "+" : "")
                << number_text(r.change_pct) << "%, limit " << g.max_regression << "%)\n";
    regressed = !report.passed();
    if (regressed)
      std::cerr << kTool << ": gate failed: " << report.regressions.size() << " of "
                << report.compared << " metrics regressed by more than " << g.max_regression
                << "%\n";
  }
  json::JsonOutput(std::cout, g.common.pretty).write(doc);
  return regressed || any_failed ? cli::kExitFailure : cli::kExitOk;
}

} // namespace ikekit::bench_tool
