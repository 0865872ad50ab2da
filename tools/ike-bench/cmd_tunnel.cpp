// ike-bench tunnel: TCP throughput and ping RTT through a tunnel between two network
// namespaces, for ikekit (esp-tunnel) and strongSwan, wireguard-go or the bare veth.
#include "cmd_tunnel.hpp"

#include "bench/files.hpp"
#include "bench/process.hpp"
#include "bench/tunnel_bench.hpp"
#include "cli/report.hpp"

#include <algorithm>
#include <iostream>

namespace ikekit::bench_tool {

CLI::App* add_tunnel_command(CLI::App& app, TunnelArgs& args) {
  CLI::App* cmd = app.add_subcommand(
      "tunnel", "TCP throughput (1 and N streams, iperf3) and ping RTT through a tunnel between "
                "two network namespaces: ikekit's esp-tunnel, strongSwan, wireguard-go or none");
  cmd->add_option("--backend", args.backend, "ikekit data plane: tun (default; the only one)");
  cmd->add_option("--duration", args.duration,
                  "Length of each iperf3 test, whole seconds, e.g. 5s (default 5s)");
  cmd->add_option("--cipher", args.cipher,
                  "ESP suite for ikekit and strongSwan (default aes256gcm16)");
  auto* peer =
      cmd->add_option("--peer", args.peer, "ikekit (default), strongswan, wireguard-go or none");
  auto* compare =
      cmd->add_option("--compare", args.compare,
                      "Several peers, alternating in one run, e.g. "
                      "ikekit,wireguard-go,strongswan,none; the first carries the ratios");
  peer->excludes(compare);
  cmd->add_option("--transport", args.transport,
                  "ikekit's transport: udp (esp-tunnel, ESP in UDP), tcp (ike-up, IKE and ESP "
                  "in one TCP stream, RFC 9329: peer ikekit-tcp) or both, e.g. tcp,udp (each "
                  "ikekit peer runs once per transport, in that order; default udp)");
  cmd->add_option("--streams", args.streams,
                  "Parallel TCP streams of the multi-stream test (default 4)");
  cmd->add_option("--rounds", args.rounds, "Rounds per peer (default 1)");
  return cmd;
}

namespace {

// --transport: each ikekit peer becomes one peer per listed transport (udp: ikekit,
// tcp: ikekit-tcp), in the order given.
Result<void> ikekit_transports(const std::string& list, std::vector<bench::Peer>& peers) {
  std::vector<bench::Peer> kinds;
  size_t start = 0;
  while (start <= list.size()) {
    size_t c = list.find(',', start);
    std::string name = list.substr(start, c == std::string::npos ? std::string::npos : c - start);
    if (name != "udp" && name != "tcp")
      return make_error(Errc::usage, "--transport",
                        "\"" + list + "\": expected udp, tcp or a list of them, e.g. tcp,udp");
    bench::Peer k = name == "tcp" ? bench::Peer::ikekit_tcp : bench::Peer::ikekit;
    if (std::find(kinds.begin(), kinds.end(), k) != kinds.end())
      return make_error(Errc::usage, "--transport", "\"" + list + "\": " + name + " twice");
    kinds.push_back(k);
    if (c == std::string::npos) break;
    start = c + 1;
  }
  std::vector<bench::Peer> out;
  for (bench::Peer p : peers) {
    if (p != bench::Peer::ikekit) {
      out.push_back(p);
      continue;
    }
    out.insert(out.end(), kinds.begin(), kinds.end());
  }
  peers = std::move(out);
  return {};
}

} // namespace

int run_tunnel(const GlobalOptions& g, const TunnelArgs& args,
               const std::optional<json::Json>& baseline) {
  bench::TunnelOptions opts;
  opts.cipher = args.cipher;
  opts.backend = args.backend;
  opts.streams = args.streams;
  opts.rounds = args.rounds;
  opts.peers.clear();
  if (!args.compare.empty()) {
    auto peers = bench::parse_peer_list(args.compare, "--compare");
    if (!peers) return cli::report_error(kTool, peers.error());
    opts.peers = std::move(*peers);
  } else {
    auto p = bench::parse_peer(args.peer, "--peer");
    if (!p) return cli::report_error(kTool, p.error());
    opts.peers.push_back(*p);
  }
  auto t = ikekit_transports(args.transport, opts.peers);
  if (!t) return cli::report_error(kTool, t.error());
  auto d = cli::parse_duration(args.duration, "--duration");
  if (!d) return cli::report_error(kTool, d.error());
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(*d).count();
  if (ms % 1000 != 0)
    return cli::report_error(
        kTool,
        make_error(Errc::usage, "--duration",
                   "\"" + args.duration + "\": expected whole seconds (iperf3 -t), e.g. 5s"));
  opts.duration_s = int(ms / 1000);
  opts.esp_tunnel = bench::executable_dir() + "/esp-tunnel"; // built side by side
  opts.ike_up = bench::executable_dir() + "/ike-up";
  if (auto ok = bench::check_tunnel_options(opts); !ok) return cli::report_error(kTool, ok.error());
  if (auto ok = bench::check_tunnel_environment(); !ok)
    return cli::report_error(kTool, ok.error(), cli::kExitEnvironment);

  bench::install_stop_signals();

  json::Json results = json::Json::array();
  bool failed = false, all_environment = true;
  {
    Progress progress;
    auto on_step = [&](const bench::TunnelProgress& p) {
      progress.update("tunnel round " + std::to_string(p.round) + "/" + std::to_string(p.rounds) +
                      " " + std::string(bench::peer_name(p.peer)) + ": " + p.step);
    };
    for (const auto& r : bench::run_tunnel_bench(opts, on_step)) {
      if (r.error) {
        failed = true;
        std::cerr << kTool << ": tunnel " << bench::peer_name(r.peer) << ": " << r.error->field
                  << ": " << r.error->message << "\n";
        if (r.error->code != Errc::environment) all_environment = false;
      } else {
        all_environment = false;
      }
      results.push_back(bench::tunnel_result_to_json(r, opts));
    }
  }
  int rc = finish(g, baseline, std::move(results), failed);
  // Nothing could run for want of tools: the environment is missing (exit 3).
  if (failed && all_environment) return cli::kExitEnvironment;
  return rc;
}

} // namespace ikekit::bench_tool
