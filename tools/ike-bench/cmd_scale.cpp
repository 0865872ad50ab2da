// ike-bench scale: N established IKE SA + Child SA pairs in one process; memory per pair,
// setup rate and lookup cost (bench/scale.hpp).
#include "cmd_scale.hpp"

#include "bench/scale.hpp"
#include "cli/report.hpp"

#include <iostream>

namespace ikekit::bench_tool {

CLI::App* add_scale_command(CLI::App& app, ScaleArgs& args) {
  CLI::App* cmd = app.add_subcommand(
      "scale", "Establish N IKE SAs (each with one Child SA) in-process; memory per SA pair "
               "(RSS delta), setup rate and lookup cost");
  cmd->add_option("--sas", args.sas, "IKE SAs to establish (default 10000)");
  cmd->add_option("--batch", args.batch, "Handshakes in flight while establishing (default 64)");
  cmd->add_option("--shards", args.shards,
                  "Engine pairs to spread the SAs over (default 1; the lookups use the first)");
  cmd->add_option("--lookups", args.lookups, "Timed lookups, at random SAs (default 10000)");
  cmd->add_option("--ike-proposal", args.ike_proposal,
                  "IKE proposal, strongSwan syntax (default aes256gcm16-prfsha256-x25519)");
  cmd->add_option("--esp-proposal", args.esp_proposal, "ESP proposal (default aes256gcm16)");
  return cmd;
}

int run_scale(const GlobalOptions& g, const ScaleArgs& args,
              const std::optional<json::Json>& baseline) {
  bench::ScaleOptions opts;
  opts.sas = args.sas;
  opts.batch = args.batch;
  opts.shards = args.shards;
  opts.lookups = args.lookups;
  opts.ike_proposal = args.ike_proposal;
  opts.esp_proposal = args.esp_proposal;
  if (auto ok = bench::check_scale_options(opts); !ok) return cli::report_error(kTool, ok.error());

  bench::ScaleResult r;
  {
    Progress progress;
    r = bench::run_scale(opts, [&](const char* phase, size_t done, size_t total) {
      progress.update(std::string("scale ") + phase + ": " + std::to_string(done) + "/" +
                      std::to_string(total));
    });
  }
  if (r.error)
    std::cerr << kTool << ": scale: " << r.error->field << ": " << r.error->message << "\n";
  json::Json results = json::Json::array();
  results.push_back(std::move(r.doc));
  return finish(g, baseline, std::move(results), r.error.has_value());
}

} // namespace ikekit::bench_tool
