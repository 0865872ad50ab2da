// ike-bench strongswan-conf --dir DIR [--log-level N] [--key-log]: the strongswan.conf of
// one isolated charon (bench/strongswan.hpp). Prints
// {"schema":"ikekit.ike-bench.strongswan-conf/1","path":...,"plugins":...}.
#include "cmd_strongswan_conf.hpp"

#include "bench/files.hpp"
#include "bench/strongswan.hpp"
#include "cli/report.hpp"

#include <iostream>

namespace ikekit::bench_tool {

CLI::App* add_strongswan_conf_command(CLI::App& app, StrongswanConfArgs& args) {
  CLI::App* cmd = app.add_subcommand(
      "strongswan-conf", "Write DIR/strongswan.conf for one isolated charon (test harness)");
  cmd->group(""); // hidden: a tool of tests/interop/lib/swan.sh, not a benchmark
  cmd->add_option("--dir", args.dir, "Absolute directory of the instance (vici socket, logs)")
      ->required();
  cmd->add_option("--log-level", args.log_level, "Default level of DIR/charon.log (-1 off)")
      ->check(CLI::Range(-1, 4));
  cmd->add_flag("--key-log", args.key_log,
                "Also DIR/charon-keys.log at ike=4 chd=4: ALL SECRETS of the run");
  return cmd;
}

int run_strongswan_conf(const GlobalOptions& g, const StrongswanConfArgs& args) {
  if (args.dir.empty() || args.dir.front() != '/')
    return cli::report_error(
        kTool, make_error(Errc::usage, "--dir", "\"" + args.dir + "\": expected an absolute path"));
  bench::CharonSettings s;
  s.dir = args.dir;
  s.log_level = args.log_level;
  s.key_log = args.key_log;
  const std::string path = args.dir + "/strongswan.conf";
  if (auto w = bench::write_private_file(path, bench::strongswan_conf(s)); !w)
    return cli::report_error(kTool, w.error(), cli::kExitFailure);
  json::Json doc = {{"schema", "ikekit.ike-bench.strongswan-conf/1"},
                    {"path", path},
                    {"plugins", std::string(bench::charon_plugins())}};
  json::JsonOutput(std::cout, g.common.pretty).write(doc);
  return cli::kExitOk;
}

} // namespace ikekit::bench_tool
