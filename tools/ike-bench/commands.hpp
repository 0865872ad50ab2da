// The ike-bench subcommands, listed explicitly in main.cpp (DESIGN 4: no self-registration).
#pragma once

#include "bench_cli.hpp"
#include "cmd_flood.hpp"
#include "cmd_handshake.hpp"
#include "cmd_roam.hpp"
#include "cmd_scale.hpp"
#include "cmd_strongswan_conf.hpp"
#include "cmd_tunnel.hpp"

#include <optional>
#include <string>
#include <vector>

namespace ikekit::bench_tool {

// ike-bench esp (cmd_esp.cpp)
struct EspArgs {
  std::vector<std::string> ciphers;
  std::vector<size_t> sizes;
  std::string duration = "500ms";
  int rounds = 7;
};
CLI::App* add_esp_command(CLI::App& app, EspArgs& args);
int run_esp(const GlobalOptions& g, const EspArgs& args, const std::optional<json::Json>& baseline);

// ike-bench selector (cmd_selector.cpp)
struct SelectorArgs {
  std::string duration = "300ms";
  int rounds = 7;
};
CLI::App* add_selector_command(CLI::App& app, SelectorArgs& args);
int run_selector(const GlobalOptions& g, const SelectorArgs& args,
                 const std::optional<json::Json>& baseline);

} // namespace ikekit::bench_tool
