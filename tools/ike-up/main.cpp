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

#include "json/ike_events.hpp"
#include "json/payload_json.hpp"
#include <iostream>
#include <map>
#include <optional>
#include <set>

using namespace ikekit;

namespace {

constexpr const char* kTool = "ike-up";

std::string now_rfc3339() {
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(
                std::chrono::system_clock::now().time_since_epoch())
                .count();
  return json::rfc3339_utc(us / 1000000, us % 1000000);
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
    // The data plane needs the Child SA keys, and shares the NAT-T socket with IKE, so
    // ESP is always UDP-encapsulated (RFC 3948), as strongSwan's userspace ESP does.
    setup->config.emit_child_keys = true;
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
  std::set<std::string> pending(setup->initiate.begin(), setup->initiate.end());
  std::map<ike::SaId, std::string> conn_of; // IKE SA handle -> connection name
  bool initiator_failed = false;
  io::IkeRunner* runner_ptr = nullptr;
  std::unique_ptr<io::EngineDataplane> dataplane;
  std::unique_ptr<io::ControlServer> control;
  auto on_event = [&](const ike::Event& e, TimePoint) {
    if (dataplane) {
      if (auto r = dataplane->on_event(e); !r)
        out.write({{"type", "dataplane_error"},
                   {"time", now_rfc3339()},
                   {"error", json::error_to_json(r.error())}});
    }
    if (const auto* k = std::get_if<ike::SaKeys>(&e)) {
      if (keylog) {
        std::string text;
        for (const auto& line : json::keylog_lines(*k))
          text += line.dump() + '\n';
        if (auto w = keylog->write(text); !w)
          out.write({{"type", "keylog_error"},
                     {"time", now_rfc3339()},
                     {"error", json::error_to_json(w.error())}});
        secure_zero(text.data(), text.size());
      }
      return;
    }
    json::Json j = json::event_to_json(e, now_rfc3339());
    // Every line names its connection: the engine's Child SA and rekey events carry only
    // the IKE SA handle, so ike-up remembers each handle's connection from ike_sa_up.
    if (const auto* up = std::get_if<ike::IkeSaUp>(&e)) conn_of[up->sa] = up->peer;
    if (j.contains("sa") && !j.contains("conn")) {
      auto it = conn_of.find(j["sa"].get<ike::SaId>());
      j["conn"] = it != conn_of.end() ? json::Json(it->second) : json::Json();
    }
    if (std::holds_alternative<ike::IkeSaDown>(e)) conn_of.erase(j["sa"].get<ike::SaId>());
    out.write(j);
    if (control) control->publish(e, j);
    if (common.verbosity > 0) std::cerr << kTool << ": " << j["type"].get<std::string>() << "\n";
    // An initiator whose SA fails before it is up ends the run with exit 1.
    if (const auto* up = std::get_if<ike::IkeSaUp>(&e)) pending.erase(up->peer);
    std::string failed;
    if (const auto* f = std::get_if<ike::Failure>(&e)) failed = f->peer;
    if (const auto* d = std::get_if<ike::IkeSaDown>(&e)) failed = d->peer;
    if (!failed.empty() && pending.erase(failed)) {
      initiator_failed = true;
      if (pending.empty() && runner_ptr) runner_ptr->stop();
    }
  };

  crypto::SystemRng rng;
  io::IkeRunnerOptions ro;
  ro.config = std::move(setup->config);
  ro.initiate = setup->initiate;
  auto runner = io::IkeRunner::create(std::move(ro), rng, on_event);
  if (!runner) return cli::report_error(kTool, runner.error());
  runner_ptr = runner->get();
  auto dp = io::EngineDataplane::create(*dataplane_kind, **runner, "ike%d", opts.offload);
  if (!dp) return cli::report_error(kTool, dp.error());
  dataplane = std::move(*dp);
  std::string dataplane_name(io::dataplane_kind_name(*dataplane_kind));
  auto server = start_control_socket(**runner, control_socket, dataplane_name,
                                     cli::version_line(kTool), now_rfc3339(), dataplane.get());
  if (!server) return cli::report_error(kTool, server.error());
  control = std::move(*server);

  json::Json started = {
      {"type", "started"},
      {"schema", std::string(json::kSchemaIkeUp)},
      {"time", now_rfc3339()},
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
  out.write(started);

  if (auto r = (*runner)->run(); !r) return cli::report_error(kTool, r.error());
  return initiator_failed ? cli::kExitFailure : cli::kExitOk;
}
