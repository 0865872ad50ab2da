// ike-bench flood: IKE_SA_INIT requests from spoofed source addresses at a responder in a
// namespace, while a legitimate client connects; its success and latency, cookies, the
// responder's memory and drop counters (bench/flood.hpp).
#include "cmd_flood.hpp"

#include "bench/flood.hpp"
#include "bench/process.hpp"
#include "cli/report.hpp"

#include <iostream>

namespace ikekit::bench_tool {

CLI::App* add_flood_command(CLI::App& app, FloodArgs& args) {
  CLI::App* cmd = app.add_subcommand(
      "flood", "IKE_SA_INIT from many spoofed sources at a responder in a namespace while a "
               "legitimate client connects: its success and latency, cookies, responder memory");
  cmd->add_option("--peer", args.peer, "The responder: ikekit (ike-up, default) or strongswan");
  cmd->add_option("--duration", args.duration, "How long the flood lasts, e.g. 30s (default 10s)");
  cmd->add_option("--rate", args.rate,
                  "Cap on the flood, datagrams per second (default 0: as fast as one core sends)");
  cmd->add_option("--source-prefix", args.source_prefix,
                  "IPv4 prefix the spoofed sources come from (default 10.200.0.0/16)");
  cmd->add_option("--concurrency", args.concurrency, "Legitimate handshakes in flight (default 4)");
  cmd->add_option("--legit-retransmit", args.legit_retransmit,
                  "The legitimate client's first retransmission timeout (default 4s)");
  cmd->add_option("--ike-proposal", args.ike_proposal,
                  "IKE proposal, strongSwan syntax (default aes256gcm16-prfsha256-x25519)");
  cmd->add_option("--esp-proposal", args.esp_proposal, "ESP proposal (default aes256gcm16)");
  cmd->add_option("--ike-up-arg", args.ike_up_args,
                  "One more ike-up flag, e.g. --ike-up-arg=--cookie-threshold=50 (repeatable)")
      ->allow_extra_args(false);
  return cmd;
}

int run_flood(const GlobalOptions& g, const FloodArgs& args,
              const std::optional<json::Json>& baseline) {
  bench::FloodOptions opts;
  opts.peer = args.peer;
  auto d = cli::parse_duration(args.duration, "--duration");
  if (!d) return cli::report_error(kTool, d.error());
  opts.duration = *d;
  opts.rate_pps = args.rate;
  opts.source_prefix = args.source_prefix;
  opts.concurrency = args.concurrency;
  auto rt = cli::parse_duration(args.legit_retransmit, "--legit-retransmit");
  if (!rt) return cli::report_error(kTool, rt.error());
  opts.legit_retransmit = *rt;
  opts.ike_proposal = args.ike_proposal;
  opts.esp_proposal = args.esp_proposal;
  opts.ike_up_args = args.ike_up_args;
  if (auto ok = bench::check_flood_options(opts); !ok) return cli::report_error(kTool, ok.error());
  bench::install_stop_signals();

  bench::FloodResult r;
  {
    Progress progress;
    r = bench::run_flood(opts, [&](uint64_t sent, size_t completed, size_t failed) {
      progress.update("flood: " + std::to_string(sent) + " sent; legitimate " +
                      std::to_string(completed) + " done" +
                      (failed ? ", " + std::to_string(failed) + " failed" : ""));
    });
  }
  // Not root, no namespaces, no ike-up: nothing was measured (exit 3).
  if (r.error && r.error->code == Errc::environment)
    return cli::report_error(kTool, *r.error, cli::kExitEnvironment);
  if (r.error)
    std::cerr << kTool << ": flood: " << r.error->field << ": " << r.error->message << "\n";
  json::Json results = json::Json::array();
  results.push_back(std::move(r.doc));
  return finish(g, baseline, std::move(results), r.error.has_value());
}

} // namespace ikekit::bench_tool
