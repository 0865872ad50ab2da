// ike-bench: benchmarks with a machine-readable result and a CI regression gate
// (ike-bench(1)). Subcommands: esp, selector, handshake, tunnel, roam, scale, flood;
// strongswan-conf (hidden, for the interop tests' shell harness).
#include "bench/gate.hpp"
#include "cli/report.hpp"
#include "commands.hpp"

#include <iostream>

using namespace ikekit;
using namespace ikekit::bench_tool;

int main(int argc, char** argv) {
  GlobalOptions g;
  EspArgs esp;
  SelectorArgs selector;
  HandshakeArgs handshake;
  TunnelArgs tunnel;
  RoamArgs roam;
  ScaleArgs scale;
  FloodArgs flood;
  StrongswanConfArgs swan_conf;
  CLI::App app{"Benchmark ikekit and gate CI on regressions", kTool};
  app.fallthrough(); // global options may follow the subcommand
  app.require_subcommand(1);
  cli::add_common_flags(app, g.common, kTool);
  auto* baseline = app.add_option("--baseline", g.baseline,
                                  "Compare with this ike-bench document; exit 1 on a regression");
  app.add_option("--max-regression", g.max_regression,
                 "Largest tolerated change in percent (default 10)")
      ->check(CLI::Range(0.0, 1000.0))
      ->needs(baseline);

  CLI::App* cmd_esp = add_esp_command(app, esp);
  CLI::App* cmd_selector = add_selector_command(app, selector);
  CLI::App* cmd_handshake = add_handshake_command(app, handshake);
  CLI::App* cmd_tunnel = add_tunnel_command(app, tunnel);
  CLI::App* cmd_roam = add_roam_command(app, roam);
  CLI::App* cmd_scale = add_scale_command(app, scale);
  CLI::App* cmd_flood = add_flood_command(app, flood);
  CLI::App* cmd_swan_conf = add_strongswan_conf_command(app, swan_conf);
  if (int rc = cli::parse_args(app, kTool, argc, argv); rc >= 0) return rc;

  // A bad baseline is a usage error found before anything is measured.
  std::optional<json::Json> base;
  if (!g.baseline.empty()) {
    auto b = bench::load_baseline(g.baseline);
    if (!b) return cli::report_error(kTool, b.error(), cli::kExitUsage);
    base = std::move(b).value();
  }

  if (cmd_esp->parsed()) return run_esp(g, esp, base);
  if (cmd_selector->parsed()) return run_selector(g, selector, base);
  if (cmd_handshake->parsed()) return run_handshake(g, handshake, base);
  if (cmd_tunnel->parsed()) return run_tunnel(g, tunnel, base);
  if (cmd_roam->parsed()) return run_roam(g, roam, base);
  if (cmd_scale->parsed()) return run_scale(g, scale, base);
  if (cmd_flood->parsed()) return run_flood(g, flood, base);
  if (cmd_swan_conf->parsed()) return run_strongswan_conf(g, swan_conf);
  return cli::kExitUsage; // unreachable: require_subcommand(1)
}
