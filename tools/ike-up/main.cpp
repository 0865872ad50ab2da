// ike-up: bring IKEv2 tunnels up as initiator or responder (ike-up(8)).
#include <sys/stat.h>

#include <fstream>
#include <iostream>
#include <set>

#include "cli/app.hpp"
#include "cli/ike_up_options.hpp"
#include "cli/report.hpp"
#include "crypto/system_rng.hpp"
#include "io/ike_runner.hpp"
#include "json/ike_events.hpp"

using namespace ikekit;

namespace {

constexpr const char* kTool = "ike-up";

std::string now_rfc3339() {
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(
                std::chrono::system_clock::now().time_since_epoch()).count();
  return json::rfc3339_utc(us / 1000000, us % 1000000);
}

void add_flags(CLI::App& app, cli::IkeUpOptions& o, cli::ConnectionOptions& c, std::string& config) {
  app.add_option("--role", c.role, "initiator or responder");
  app.add_option("--local", c.local, "Local address to bind and send from");
  app.add_option("--remote", c.remote, "Peer address (initiator); responder: accept only this peer");
  app.add_option("--port", c.port, "IKE port (default 500)");
  app.add_option("--natt-port", o.natt_port, "NAT-T port (default 4500)");
  app.add_option("--name", c.name, "Connection name shown in events");
  app.add_option("--psk-file", c.psk_file, "File holding the pre-shared key");
  app.add_option("--cert", c.cert, "Our certificate (PEM; intermediates may follow)");
  app.add_option("--key", c.key, "Private key of --cert (PEM)");
  app.add_option("--ca", c.ca, "CA certificate to verify the peer (repeatable)");
  app.add_option("--local-id", c.local_id, "Our IKE identity (default: address, or certificate subject)");
  app.add_option("--remote-id", c.remote_id, "Expected peer identity (default: any the peer proves)");
  app.add_option("--ike-proposal", c.ike_proposal, "IKE proposals, strongSwan syntax");
  app.add_option("--esp-proposal", c.esp_proposal, "ESP proposals, strongSwan syntax");
  app.add_option("--local-ts", c.local_ts, "Local traffic selector CIDR (repeatable)");
  app.add_option("--remote-ts", c.remote_ts, "Remote traffic selector CIDR (repeatable)");
  app.add_option("--mode", c.mode, "tunnel or transport");
  app.add_option("--rekey-time", c.rekey_time, "Child SA rekey time (default 1h)");
  app.add_option("--ike-rekey-time", c.ike_rekey_time, "IKE SA rekey time (default 8h)");
  app.add_option("--dpd-delay", c.dpd_delay, "Liveness check after this much silence (default 30s, 0 off)");
  app.add_option("--dpd-action", c.dpd_action, "clear or restart");
  app.add_flag("--force-encap", c.force_encap, "Always UDP-encapsulate (float to the NAT-T port)");
  app.add_option("--keylog", o.keylog, "Append IKE and Child SA keys to FILE (ikekit key log)");
  app.add_option("--config", config, "JSON file with one or more connections");
  app.add_option("--dataplane", o.dataplane, "auto, none, tun or xfrm");
  app.add_option("--retransmit-timeout", o.retransmit_timeout, "First retransmission timeout (default 4s)");
  app.add_option("--retransmit-tries", o.retransmit_tries, "Retransmissions before giving up (default 5)");
}

}  // namespace

int main(int argc, char** argv) {
  cli::CommonOptions common;
  cli::IkeUpOptions opts;
  cli::ConnectionOptions conn;
  std::string config_file;
  CLI::App app{"Bring IKEv2 tunnels up as initiator or responder", kTool};
  cli::add_common_flags(app, common, kTool);
  add_flags(app, opts, conn, config_file);
  if (int rc = cli::parse_args(app, kTool, argc, argv); rc >= 0) return rc;

  if (!config_file.empty()) {
    if (auto r = cli::load_ike_up_config(config_file, opts); !r) return cli::report_error(kTool, r.error());
  } else {
    opts.connections.push_back(conn);
  }
  auto setup = cli::build_ike_up_setup(opts);
  if (!setup) return cli::report_error(kTool, setup.error());
  if (opts.dataplane == "tun" || opts.dataplane == "xfrm")
    return cli::report_error(kTool, make_error(Errc::environment, "--dataplane",
                                               "\"" + opts.dataplane + "\": not wired into ike-up in this version; use none"));
  if (opts.dataplane != "auto" && opts.dataplane != "none")
    return cli::report_error(kTool, make_error(Errc::usage, "--dataplane",
                                               "\"" + opts.dataplane + "\": expected auto, none, tun or xfrm"));

  std::ofstream keylog;
  if (!opts.keylog.empty()) {
    mode_t old = umask(077);  // the key log holds secrets: owner only
    keylog.open(opts.keylog, std::ios::app);
    umask(old);
    if (!keylog)
      return cli::report_error(kTool, make_error(Errc::usage, "--keylog", "\"" + opts.keylog + "\": cannot be written"));
  }

  json::JsonOutput out(std::cout, common.pretty);
  std::set<std::string> pending(setup->initiate.begin(), setup->initiate.end());
  bool initiator_failed = false;
  io::IkeRunner* runner_ptr = nullptr;
  auto on_event = [&](const ike::Event& e, TimePoint) {
    if (const auto* k = std::get_if<ike::SaKeys>(&e)) {
      for (const auto& line : json::keylog_lines(*k)) keylog << line.dump() << '\n';
      keylog.flush();
      return;
    }
    json::Json j = json::event_to_json(e, now_rfc3339());
    out.write(j);
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

  json::Json started = {{"type", "started"}, {"schema", std::string(json::kSchemaIkeUp)},
                        {"time", now_rfc3339()}, {"version", cli::version_line(kTool)},
                        {"dataplane", "none"}, {"connections", json::Json::array()}};
  for (const auto& c : opts.connections)
    started["connections"].push_back({{"name", c.name}, {"role", c.role}, {"local", c.local},
                                      {"remote", c.remote.empty() ? json::Json() : json::Json(c.remote)}});
  out.write(started);

  if (auto r = (*runner)->run(); !r) return cli::report_error(kTool, r.error());
  return initiator_failed ? cli::kExitFailure : cli::kExitOk;
}
