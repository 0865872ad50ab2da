// ikectl: query and control running ike-up daemons over their control socket (ikectl(8)).
#include "client.hpp"

using namespace ikekit;

int main(int argc, char** argv) {
  ikectl::Context ctx;
  CLI::App app{"Query and control a running ike-up over its control socket", ikectl::kTool};
  cli::add_common_flags(app, ctx.common, ikectl::kTool);
  app.add_option("--socket", ctx.socket,
                 "ike-up's control socket (default /run/ikekit/ike-up.sock)");
  app.add_flag("--text", ctx.text,
               "A compact table instead of JSON (status, list-conns, list-sas, list-leases)");
  app.add_option("--timeout", ctx.timeout,
                 "How long to wait for answers and --wait (default 30s; 0: forever)");
  app.require_subcommand(1);
  // Subcommands, one file each (DESIGN 4), in the order of ikectl(8).
  ikectl::add_status(app, ctx);
  ikectl::add_list_conns(app, ctx);
  ikectl::add_list_sas(app, ctx);
  ikectl::add_list_leases(app, ctx);
  ikectl::add_initiate(app, ctx);
  ikectl::add_terminate(app, ctx);
  ikectl::add_rekey(app, ctx);
  ikectl::add_monitor(app, ctx);
  ikectl::add_load(app, ctx);
  ikectl::add_unload(app, ctx);
  ikectl::add_kill_switch(app, ctx);
  ikectl::add_profile(app, ctx);
  if (int rc = cli::parse_args(app, ikectl::kTool, argc, argv); rc >= 0) return rc;
  return ctx.run ? ctx.run() : cli::kExitUsage;
}
