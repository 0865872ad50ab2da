// The ike-bench subcommands, listed explicitly in main.cpp (DESIGN 4: no self-registration).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "bench_cli.hpp"

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

// ike-bench handshake | tunnel | scale (cmd_unavailable.cpp): the components they
// measure are not in this build yet; they report so and exit 3.
struct UnavailableArgs {
  std::string mode = "inproc";  // handshake --mode inproc|udp
};
CLI::App* add_handshake_command(CLI::App& app, UnavailableArgs& args);
CLI::App* add_tunnel_command(CLI::App& app, UnavailableArgs& args);
CLI::App* add_scale_command(CLI::App& app, UnavailableArgs& args);
int run_unavailable(const std::string& subcommand, const UnavailableArgs& args);

}  // namespace ikekit::bench_tool
