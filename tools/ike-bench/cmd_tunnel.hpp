// ike-bench tunnel (cmd_tunnel.cpp): throughput and RTT through ikekit's esp-tunnel and
// the peers it is compared with (bench/tunnel_bench.hpp).
#pragma once

#include "bench_cli.hpp"

#include <optional>
#include <string>

namespace ikekit::bench_tool {

struct TunnelArgs {
  std::string backend = "tun";
  std::string duration = "5s";
  std::string cipher = "aes256gcm16";
  std::string peer = "ikekit";
  std::string compare;           // PEER,PEER,...
  std::string transport = "udp"; // udp, tcp, or both in the order to run: udp,tcp
  int streams = 4;
  int rounds = 1;
};
CLI::App* add_tunnel_command(CLI::App& app, TunnelArgs& args);
int run_tunnel(const GlobalOptions& g, const TunnelArgs& args,
               const std::optional<json::Json>& baseline);

} // namespace ikekit::bench_tool
