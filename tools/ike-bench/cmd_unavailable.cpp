// ike-bench handshake | tunnel | scale: the components these measure (the IKE engine,
// the TUN/XFRM data plane) are not part of this build yet. They say so with an error
// document and exit 3 rather than print numbers that measure nothing.
#include "cli/report.hpp"
#include "commands.hpp"

namespace ikekit::bench_tool {

CLI::App* add_handshake_command(CLI::App& app, UnavailableArgs& args) {
  CLI::App* cmd = app.add_subcommand(
      "handshake", "IKE_SA_INIT + IKE_AUTH handshakes per second (not available yet)");
  cmd->add_option("--mode", args.mode, "inproc (two engines in one process) or udp (loopback)")
      ->check(CLI::IsMember({"inproc", "udp"}));
  return cmd;
}

CLI::App* add_tunnel_command(CLI::App& app, UnavailableArgs&) {
  return app.add_subcommand("tunnel", "Tunnel throughput through TUN/XFRM (not available yet)");
}

CLI::App* add_scale_command(CLI::App& app, UnavailableArgs&) {
  return app.add_subcommand("scale", "Many IKE/Child SAs: setup rate and memory (not available yet)");
}

int run_unavailable(const std::string& subcommand, const UnavailableArgs& args) {
  std::string missing;
  if (subcommand == "handshake")
    missing = "the IKE engine (ike::Engine in lib/ike), which this build does not have yet; "
              "--mode " + args.mode + " cannot run";
  else if (subcommand == "tunnel")
    missing = "the IKE engine and the TUN/XFRM data plane tool (ike-up), which this build does "
              "not have yet";
  else
    missing = "the IKE engine (ike::Engine in lib/ike), which this build does not have yet";
  return cli::report_error(
      kTool, make_error(Errc::unsupported, subcommand, subcommand + " is not available: it needs " + missing),
      cli::kExitEnvironment);
}

}  // namespace ikekit::bench_tool
