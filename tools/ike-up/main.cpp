// ike-up: bring IKEv2 tunnels up as initiator or responder (ike-up(8)).
#include "base/secret_file.hpp"
#include "cli/app.hpp"
#include "cli/ike_up_options.hpp"
#include "cli/report.hpp"
#include "cli/thread_options.hpp"
#include "control.hpp"
#include "crypto/system_rng.hpp"
#include "flags.hpp"
#include "io/ike_dataplane.hpp"
#include "io/ike_runner.hpp"
#include "io/ike_up_events.hpp"
#include "io/kill_switch.hpp"
#include "io/roaming.hpp"

#include "json/ike_events.hpp"
#include <iostream>
#include <memory>
#include <optional>

using namespace ikekit;

namespace {

constexpr const char* kTool = "ike-up";

} // namespace

int main(int argc, char** argv) {
  cli::CommonOptions common;
  cli::IkeUpOptions opts;
  cli::ConnectionOptions conn;
  std::string config_file, control_socket;
  CLI::App app{"Bring IKEv2 tunnels up as initiator or responder", kTool};
  cli::add_common_flags(app, common, kTool);
  add_ike_up_flags(app, opts, conn, config_file, control_socket);
  if (int rc = cli::parse_args(app, kTool, argc, argv); rc >= 0) return rc;

  if (!config_file.empty()) {
    if (auto r = cli::load_ike_up_config(config_file, opts); !r)
      return cli::report_error(kTool, r.error());
  } else {
    opts.connections.push_back(conn);
  }
  auto setup = cli::build_ike_up_setup(opts);
  if (!setup) return cli::report_error(kTool, setup.error());
  auto dataplane_kind = io::choose_dataplane(opts.dataplane);
  if (!dataplane_kind) return cli::report_error(kTool, dataplane_kind.error());

  // The key log holds secrets: created 0600, appended to only if it is ours alone.
  std::optional<SecretFileWriter> keylog;
  if (!opts.keylog.empty()) {
    auto w = SecretFileWriter::open_append(opts.keylog, "--keylog");
    if (!w) return cli::report_error(kTool, w.error());
    keylog.emplace(std::move(*w));
  }

  json::JsonOutput out(std::cout, common.pretty);
  io::IkeUpEvents events(out, std::move(keylog), setup->initiate, common.verbosity, kTool);
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
  io::IkeRunnerOptions ro;
  std::vector<std::string> locals; // --local, or the route's source (cli::build_peer)
  for (const auto& p : setup->config.peers)
    locals.push_back(p.local.address.to_string());
  ro.config = std::move(setup->config);
  ro.initiate = setup->initiate;
  ro.radius = std::move(setup->radius);
  ro.tcp = setup->tcp;
  auto threads = cli::resolve_threads(opts.threads, ro);
  if (!threads) return cli::report_error(kTool, threads.error());
  if (!threads->note.empty()) std::cerr << kTool << ": info: " << threads->note << std::endl;
  ro.threads = threads->engines;
  auto runner = io::IkeRunner::create(std::move(ro), rng, on_event);
  if (!runner) return cli::report_error(kTool, runner.error());
  auto dp = io::EngineDataplane::create(
      *dataplane_kind, **runner, "ike%d",
      io::TunTuning{opts.offload, std::chrono::microseconds(opts.busy_poll_us)});
  if (!dp) return cli::report_error(kTool, dp.error());
  dataplane = std::move(*dp);
  // Before the first IKE packet (the runner sends from run()).
  if (setup->kill_switch) {
    setup->kill_switch->tunnel_device = dataplane->device();
    auto k = io::KillSwitch::install(*setup->kill_switch);
    if (!k) return cli::report_error(kTool, k.error(), cli::kExitEnvironment);
    kill_switch.emplace(std::move(*k));
  }
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

  json::Json started = {
      {"type", "started"},
      {"schema", std::string(json::kSchemaIkeUp)},
      {"time", io::now_rfc3339()},
      {"version", cli::version_line(kTool)},
      {"dataplane", dataplane_name},
      {"threads", (*runner)->engine_count()},
      {"control_socket", control ? json::Json(control->path()) : json::Json()},
      {"device", dataplane->device().empty() ? json::Json() : json::Json(dataplane->device())},
      {"connections", json::Json::array()}};
  for (size_t i = 0; i < opts.connections.size(); ++i) {
    const auto& c = opts.connections[i];
    started["connections"].push_back(
        {{"name", c.name},
         {"role", c.role},
         {"local", locals.at(i)},
         {"remote", c.remote.empty() ? json::Json() : json::Json(c.remote)}});
  }
  started["kill_switch"] = kill_switch.has_value();
  started["dns_apply"] = events.dns_apply_json();
  out.write(started);
  if (kill_switch) out.write(io::kill_switch_event(*kill_switch, ""));
  if (auto r = events.repair_stale_dns(); !r)
    return cli::report_error(kTool, r.error(), cli::kExitEnvironment);

  auto ran = (*runner)->run();
  events.restore_dns("exit");
  if (kill_switch && kill_switch->active()) {
    if (auto r = kill_switch->remove(); !r) cli::report_error(kTool, r.error());
    out.write(io::kill_switch_event(*kill_switch, "exit"));
  }
  if (!ran) return cli::report_error(kTool, ran.error());
  return events.initiator_failed() ? cli::kExitFailure : cli::kExitOk;
}
