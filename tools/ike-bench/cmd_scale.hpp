// ike-bench scale (cmd_scale.cpp): memory per SA pair and lookup cost (bench/scale.hpp).
#pragma once

#include "bench_cli.hpp"

#include <optional>
#include <string>

namespace ikekit::bench_tool {

struct ScaleArgs {
  size_t sas = 10000;     // --sas N
  size_t batch = 64;      // --batch B
  size_t shards = 1;      // --shards S
  size_t lookups = 10000; // --lookups K
  std::string ike_proposal = "aes256gcm16-prfsha256-x25519";
  std::string esp_proposal = "aes256gcm16";
};
CLI::App* add_scale_command(CLI::App& app, ScaleArgs& args);
int run_scale(const GlobalOptions& g, const ScaleArgs& args,
              const std::optional<json::Json>& baseline);

} // namespace ikekit::bench_tool
