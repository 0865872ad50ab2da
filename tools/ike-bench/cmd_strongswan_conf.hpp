// ike-bench strongswan-conf (hidden; cmd_strongswan_conf.cpp): writes DIR/strongswan.conf
// with bench/strongswan.hpp, for tests/interop/lib/swan.sh, so the interop tests and the
// benchmarks run charon with one plugin list and one set of settings.
#pragma once

#include "bench_cli.hpp"

#include <string>

namespace ikekit::bench_tool {

struct StrongswanConfArgs {
  std::string dir;   // --dir DIR (absolute)
  int log_level = 1; // --log-level N
  bool key_log = false;
};
CLI::App* add_strongswan_conf_command(CLI::App& app, StrongswanConfArgs& args);
int run_strongswan_conf(const GlobalOptions& g, const StrongswanConfArgs& args);

} // namespace ikekit::bench_tool
