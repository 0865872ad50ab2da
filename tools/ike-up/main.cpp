// ike-up: bring IKEv2 tunnels up as initiator or responder (ike-up(8)).
#include "base/secret_file.hpp"
#include "cli/app.hpp"
#include "cli/ike_up_options.hpp"
#include "cli/report.hpp"
#include "control.hpp"
#include "crypto/system_rng.hpp"
#include "flags.hpp"
#include "io/ike_dataplane.hpp"
#include "io/ike_runner.hpp"
#include "io/ike_up_events.hpp"
#include "io/kill_switch.hpp"
#include "io/roaming.hpp"
#include "startup.hpp"

#include "json/ike_events.hpp"
#include <iostream>
#include <memory>
#include <optional>

using namespace ikekit;

namespace {

constexpr const char* kTool = "ike-up";

// The flags, then the --config file (it overrides them) or else the one connection the
// flags describe. Returns an exit code, or -1 to go on.
int read_options(int argc, char** argv, cli::CommonOptions& common, cli::IkeUpOptions& opts,
                 std::string& control_socket) {
  cli::ConnectionOptions conn;
  std::string config_file;
  CLI::App app{"Bring IKEv2 tunnels up as initiator or responder", kTool};
  cli::add_common_flags(app, common, kTool);
  add_ike_up_flags(app, opts, conn, config_file, control_socket);
  if (int rc = cli::parse_args(app, kTool, argc, argv); rc >= 0) return rc;
  if (config_file.empty()) {
    opts.connections.push_back(conn);
    return -1;
  }
  if (auto r = cli::load_ike_up_config(config_file, opts); !r)
    return cli::report_error(kTool, r.error());
  return -1;
}

} // namespace

int main(int argc, char** argv) {
  cli::CommonOptions common;
  cli::IkeUpOptions opts;
  std::string control_socket;
  if (int rc = read_options(argc, argv, common, opts, control_socket); rc >= 0) return rc;
  auto setup = cli::build_ike_up_setup(opts);
  if (!setup) return cli::report_error(kTool, setup.error());
  auto dataplane_kind = io::choose_dataplane(opts.dataplane);
  if (!dataplane_kind) return cli::report_error(kTool, dataplane_kind.error());

  auto keylog = ike_up::open_keylog(opts.keylog);
  if (!keylog) return cli::report_error(kTool, keylog.error());

  json::JsonOutput out(std::cout, common.pretty);
  io::IkeUpEvents events(out, std::move(*keylog), setup->initiate, common.verbosity, kTool);
  auto on_event = [&events](const ike::Event& e, TimePoint) { events.on_event(e); };
  // Outlive the runner, whose events reach them through `events`.
  std::unique_ptr<io::EngineDataplane> dataplane;
  std::unique_ptr<io::ControlServer> control;
  // Declared before the runner so it goes last: a clean exit removes the rules, a crash
  // leaves them (fail closed).
  std::optional<io::KillSwitch> kill_switch;
  // --dns-apply: the method is checked before anything starts (exit 3 if unavailable).
  if (auto r = events.use_dns(setup->dns_apply); !r)
    return cli::report_error(kTool, r.error(), cli::kExitEnvironment);

  crypto::SystemRng rng;
  std::vector<std::string> locals; // --local, or the route's source (cli::build_peer)
  auto runner = ike_up::create_runner(*setup, opts.threads, rng, on_event, locals);
  if (!runner) return cli::report_error(kTool, runner.error());
  auto dp = io::EngineDataplane::create(
      *dataplane_kind, **runner, "ike%d",
      io::TunTuning{opts.offload, std::chrono::microseconds(opts.busy_poll_us)});
  if (!dp) return cli::report_error(kTool, dp.error());
  dataplane = std::move(*dp);
  // Before the first IKE packet (the runner sends from run()).
  auto installed = ike_up::install_kill_switch(*setup, dataplane->device());
  if (!installed) return cli::report_error(kTool, installed.error(), cli::kExitEnvironment);
  if (*installed) kill_switch.emplace(std::move(**installed));
  std::string dataplane_name(io::dataplane_kind_name(*dataplane_kind));
  auto server = start_control_socket(**runner, control_socket, dataplane_name,
                                     cli::version_line(kTool), io::now_rfc3339(), dataplane.get());
  if (!server) return cli::report_error(kTool, server.error());
  control = std::move(*server);
  if (control && kill_switch)
    control->service().set_kill_switch_off([&]() -> Result<json::Json> {
      if (auto r = kill_switch->remove(); !r) return r.error();
      json::Json e = io::kill_switch_event(*kill_switch, "ikectl");
      out.write(e);
      return e;
    });
  events.attach(runner->get(), dataplane.get(), control.get());
  // MOBIKE (RFC 4555): the initiator follows address and route changes at once.
  auto roaming = io::Roaming::start(**runner, [&out](const json::Json& j) { out.write(j); });
  if (!roaming) return cli::report_error(kTool, roaming.error(), cli::kExitEnvironment);
  if (control)
    control->service().set_roaming_status([r = roaming->get()] { return r->stats_json(); });

  out.write(ike_up::started_event({dataplane_name, (*runner)->engine_count(),
                                   control ? &control->path() : nullptr, dataplane->device(),
                                   kill_switch.has_value(), events.dns_apply_json()},
                                  opts, locals));
  if (kill_switch) out.write(io::kill_switch_event(*kill_switch, ""));
  if (auto r = events.repair_stale_dns(); !r)
    return cli::report_error(kTool, r.error(), cli::kExitEnvironment);

  auto ran = (*runner)->run(); // a failed data plane ends it too, with every SA deleted
  events.restore_dns("exit");
  const auto& dataplane_failed = dataplane->failure();
  if (kill_switch && dataplane_failed) kill_switch->leave(); // fail closed until a restart
  if (kill_switch && kill_switch->active()) {
    if (auto r = kill_switch->remove(); !r) cli::report_error(kTool, r.error());
    out.write(io::kill_switch_event(*kill_switch, "exit"));
  }
  if (!ran) return cli::report_error(kTool, ran.error());
  if (dataplane_failed) return cli::report_error(kTool, *dataplane_failed, cli::kExitFailure);
  return events.initiator_failed() ? cli::kExitFailure : cli::kExitOk;
}
