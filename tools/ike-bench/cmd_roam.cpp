// ike-bench roam: how fast ikekit (MOBIKE), strongSwan (MOBIKE) and wireguard-go recover
// when the client moves from one NATed access network to another.
#include "cmd_roam.hpp"

#include "bench/process.hpp"
#include "bench/roam_bench.hpp"
#include "cli/report.hpp"

#include <iostream>

namespace ikekit::bench_tool {

CLI::App* add_roam_command(CLI::App& app, RoamArgs& args) {
  CLI::App* cmd = app.add_subcommand(
      "roam", "Recovery time of a tunnel whose client moves from one access network (behind a "
              "NAT) to another: ikekit, strongSwan (MOBIKE) and wireguard-go");
  cmd->add_option("--compare", args.compare,
                  "Peers, alternating in one run, e.g. ikekit,strongswan,wireguard-go "
                  "(default ikekit)");
  cmd->add_option("--rounds", args.rounds, "Moves per peer, each in a fresh topology (default 3)");
  cmd->add_option("--interval", args.interval, "Ping interval (default 10ms)");
  cmd->add_option("--max-wait", args.max_wait,
                  "Longest wait for recovery after the move; longer is a timeout (default 20s)");
  return cmd;
}

int run_roam(const GlobalOptions& g, const RoamArgs& args,
             const std::optional<json::Json>& baseline) {
  bench::RoamOptions opts;
  opts.rounds = args.rounds;
  auto peers = bench::parse_peer_list(args.compare, "--compare");
  if (!peers) return cli::report_error(kTool, peers.error());
  opts.peers = std::move(*peers);
  for (auto [text, field, out] : {std::tuple{&args.interval, "--interval", &opts.interval},
                                  std::tuple{&args.max_wait, "--max-wait", &opts.max_wait}}) {
    auto d = cli::parse_duration(*text, field);
    if (!d) return cli::report_error(kTool, d.error());
    *out = std::chrono::duration_cast<std::chrono::milliseconds>(*d);
  }
  if (auto ok = bench::check_roam_options(opts); !ok) return cli::report_error(kTool, ok.error());
  if (auto ok = bench::check_roam_environment(); !ok)
    return cli::report_error(kTool, ok.error(), cli::kExitEnvironment);

  bench::install_stop_signals();
  json::Json results = json::Json::array();
  bool failed = false, all_environment = true;
  {
    Progress progress;
    auto on_step = [&](const bench::RoamProgress& p) {
      progress.update("roam round " + std::to_string(p.round) + "/" + std::to_string(p.rounds) +
                      " " + std::string(bench::peer_name(p.peer)) + ": " + p.step);
    };
    for (const auto& r : bench::run_roam_bench(opts, on_step)) {
      if (r.error) {
        failed = true;
        std::cerr << kTool << ": roam " << bench::peer_name(r.peer) << ": " << r.error->field
                  << ": " << r.error->message << "\n";
        if (r.error->code != Errc::environment) all_environment = false;
      } else {
        all_environment = false;
      }
      results.push_back(bench::roam_result_to_json(r, opts));
    }
  }
  // A timeout is a measured outcome (reported as such), not a failure of the run.
  int rc = finish(g, baseline, std::move(results), failed);
  if (failed && all_environment) return cli::kExitEnvironment;
  return rc;
}

} // namespace ikekit::bench_tool
