// ike-bench roam (cmd_roam.cpp): tunnel recovery when the client moves between two
// access networks behind NATs (bench/roam_bench.hpp).
#pragma once

#include "bench_cli.hpp"

#include <optional>
#include <string>

namespace ikekit::bench_tool {

struct RoamArgs {
  std::string compare = "ikekit"; // PEER,PEER,...
  int rounds = 3;
  std::string interval = "10ms";
  std::string max_wait = "20s";
};
CLI::App* add_roam_command(CLI::App& app, RoamArgs& args);
int run_roam(const GlobalOptions& g, const RoamArgs& args,
             const std::optional<json::Json>& baseline);

} // namespace ikekit::bench_tool
