// esp-tunnel: run an ESP tunnel from given keys, over a TUN device (user space,
// RFC 4303 / RFC 3948) or the kernel's XFRM (esp-tunnel(8)).
#include "cli/app.hpp"
#include "cli/report.hpp"
#include "options.hpp"
#include "run.hpp"

#include "json/output.hpp"
#include <iostream>

using namespace ikekit;

using esp_tunnel::kTool;

int main(int argc, char** argv) {
  esp_tunnel::Flags flags;
  CLI::App app{"Run an ESP tunnel with given keys over a TUN device or kernel XFRM", kTool};
  cli::add_common_flags(app, flags.common, kTool);
  esp_tunnel::add_flags(app, flags);
  if (int rc = cli::parse_args(app, kTool, argc, argv); rc >= 0) return rc;

  auto opt = esp_tunnel::make_options(flags);
  if (!opt) return cli::report_error(kTool, opt.error(), cli::kExitUsage);
  if (opt->keys_on_command_line)
    std::cerr << kTool
              << ": WARNING: keys given on the command line can be read by every local user "
                 "(/proc/PID/cmdline, ps) and stay in shell history; put them in a key file "
                 "(--keys FILE, mode 0600) instead\n";

  json::JsonOutput out(std::cout, opt->common.pretty);
  return opt->backend == esp_tunnel::Backend::tun ? esp_tunnel::run_tun(*opt, out)
                                                  : esp_tunnel::run_xfrm(*opt, out);
}
