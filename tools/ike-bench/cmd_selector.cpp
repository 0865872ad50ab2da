// ike-bench selector: ns per packet of the ESP data plane's traffic-selector step
// (bench/selector_bench.hpp).
#include "bench/selector_bench.hpp"
#include "cli/report.hpp"
#include "commands.hpp"

namespace ikekit::bench_tool {

CLI::App* add_selector_command(CLI::App& app, SelectorArgs& args) {
  CLI::App* cmd = app.add_subcommand(
      "selector", "Traffic-selector read per packet (outbound SA lookup, inbound check) for "
                  "IPv4/UDP, IPv4/TCP and IPv6/UDP, in ns");
  cmd->add_option("--duration", args.duration,
                  "Measuring time per case, over all rounds, e.g. 300ms (default 300ms)");
  cmd->add_option("--rounds", args.rounds, "Interleaved rounds (default 7)")
      ->check(CLI::Range(1, 1000));
  return cmd;
}

int run_selector(const GlobalOptions& g, const SelectorArgs& args,
                 const std::optional<json::Json>& baseline) {
  bench::SelectorBenchOptions opts;
  opts.rounds = args.rounds;
  auto d = cli::parse_duration(args.duration, "--duration");
  if (!d) return cli::report_error(kTool, d.error());
  if (d->count() <= 0)
    return cli::report_error(kTool, make_error(Errc::usage, "--duration", "must be positive"));
  opts.duration = *d;
  json::Json results = json::Json::array();
  bool failed = false;
  for (const auto& r : bench::run_selector_bench(opts)) {
    failed = failed || r.mismatches != 0; // the step lost a packet's SA: a bug, not a number
    results.push_back(bench::selector_result_to_json(r));
  }
  return finish(g, baseline, std::move(results), failed);
}

} // namespace ikekit::bench_tool
