// ike-bench flood (cmd_flood.cpp): IKE_SA_INIT from spoofed sources against a responder
// while a legitimate client connects (bench/flood.hpp).
#pragma once

#include "bench_cli.hpp"

#include <optional>
#include <string>
#include <vector>

namespace ikekit::bench_tool {

struct FloodArgs {
  std::string peer = "ikekit";
  std::string duration = "10s";
  double rate = 0; // --rate PPS, 0: no cap
  std::string source_prefix = "10.200.0.0/16";
  size_t concurrency = 4;
  std::string legit_retransmit = "4s";
  std::string ike_proposal = "aes256gcm16-prfsha256-x25519";
  std::string esp_proposal = "aes256gcm16";
  std::vector<std::string> ike_up_args;
};
CLI::App* add_flood_command(CLI::App& app, FloodArgs& args);
int run_flood(const GlobalOptions& g, const FloodArgs& args,
              const std::optional<json::Json>& baseline);

} // namespace ikekit::bench_tool
