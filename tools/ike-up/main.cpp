// ike-up: bring IKEv2 tunnels up as initiator or responder (ike-up(8)).
#include "base/secret_file.hpp"
#include "cli/app.hpp"
#include "cli/ike_up_options.hpp"
#include "cli/report.hpp"
#include "control.hpp"
#include "crypto/system_rng.hpp"
#include "flags.hpp"
#include "io/dns_apply.hpp"
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

// The kill_switch event: on (with what passes) or off (and why).
json::Json kill_switch_event(const io::KillSwitch& k, const char* reason) {
  json::Json j = {{"type", "kill_switch"},
                  {"time", io::now_rfc3339()},
                  {"state", k.active() ? "on" : "off"},
                  {"table", std::string("inet ") + io::kKillSwitchTable}};
  if (!k.active()) {
    j["reason"] = reason;
    return j;
  }
  const io::KillSwitchConfig& c = k.config();
  j["servers"] = json::Json::array();
  for (const auto& a : c.servers)
    j["servers"].push_back(a.to_string());
  j["tunnel_device"] = c.tunnel_device.empty() ? json::Json() : json::Json(c.tunnel_device);
  j["allow_lan"] = c.allow_lan;
  j["replaced_stale"] = k.replaced_stale();
  return j;
}

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
  if (*dataplane_kind != io::DataplaneKind::none) {
    // The data plane shares the NAT-T socket with IKE, so ESP is always
    // UDP-encapsulated (RFC 3948), as strongSwan's userspace ESP does.
    for (auto& p : setup->config.peers)
      p.force_encap = true;
  }

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
  std::unique_ptr<io::DnsApplier> dns;
  if (setup->dns_apply != "none") {
    auto method = io::choose_dns_method(setup->dns_apply);
    if (!method) return cli::report_error(kTool, method.error(), cli::kExitEnvironment);
    dns = std::make_unique<io::DnsApplier>(*method);
  }

  crypto::SystemRng rng;
  io::IkeRunnerOptions ro;
  ro.config = std::move(setup->config);
  ro.initiate = setup->initiate;
  ro.radius = std::move(setup->radius);
  ro.tcp_listen = setup->tcp_listen;
  ro.tcp = setup->tcp;
  auto runner = io::IkeRunner::create(std::move(ro), rng, on_event);
  if (!runner) return cli::report_error(kTool, runner.error());
  auto dp = io::EngineDataplane::create(*dataplane_kind, **runner, "ike%d", opts.offload);
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
      json::Json e = kill_switch_event(*kill_switch, "ikectl");
      out.write(e);
      return e;
    });
  events.attach(runner->get(), dataplane.get(), control.get());
  events.attach_dns(dns.get());
  // MOBIKE (RFC 4555): the initiator follows address and route changes at once.
  auto roaming = io::Roaming::start(**runner, [&out](const json::Json& j) { out.write(j); });
  if (!roaming) return cli::report_error(kTool, roaming.error(), cli::kExitEnvironment);

  json::Json started = {
      {"type", "started"},
      {"schema", std::string(json::kSchemaIkeUp)},
      {"time", io::now_rfc3339()},
      {"version", cli::version_line(kTool)},
      {"dataplane", dataplane_name},
      {"control_socket", control ? json::Json(control->path()) : json::Json()},
      {"device", dataplane->device().empty() ? json::Json() : json::Json(dataplane->device())},
      {"connections", json::Json::array()}};
  for (const auto& c : opts.connections)
    started["connections"].push_back(
        {{"name", c.name},
         {"role", c.role},
         {"local", c.local},
         {"remote", c.remote.empty() ? json::Json() : json::Json(c.remote)}});
  started["kill_switch"] = kill_switch.has_value();
  started["dns_apply"] = dns ? json::Json(io::dns_method_name(dns->method())) : json::Json();
  out.write(started);
  if (kill_switch) out.write(kill_switch_event(*kill_switch, ""));
  // What an earlier run killed by SIGKILL (or a crash) left applied is put back first.
  if (dns) {
    auto stale = dns->repair_stale();
    if (!stale) return cli::report_error(kTool, stale.error(), cli::kExitEnvironment);
    for (const auto& c : *stale)
      out.write(io::dns_change_json(c, false, io::now_rfc3339()));
  }

  auto ran = (*runner)->run();
  events.restore_dns("exit");
  if (kill_switch && kill_switch->active()) {
    if (auto r = kill_switch->remove(); !r) cli::report_error(kTool, r.error());
    out.write(kill_switch_event(*kill_switch, "exit"));
  }
  if (!ran) return cli::report_error(kTool, ran.error());
  return events.initiator_failed() ? cli::kExitFailure : cli::kExitOk;
}
