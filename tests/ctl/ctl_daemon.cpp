// A private stand-in for `ike-up --config FILE --control-socket PATH` used by the ikectl
// integration test until ike-up has the flag: the same IkeRunner, the same event lines on
// stdout, and io::ControlServer wired the way ikectl(8) asks ike-up to wire it.
//
// One difference: IkeRunner has no public way to send the datagrams a control command
// queued (its pump() is private), so this daemon wakes the runner by sending a one-byte
// NAT keepalive (RFC 3948 2.3) from its NAT-T socket to itself; the runner reads it,
// ignores it and pumps the engine. ike-up proper should call a public runner flush.
#include <unistd.h>

#include <iostream>

#include "cli/app.hpp"
#include "cli/ike_up_options.hpp"
#include "cli/report.hpp"
#include "crypto/system_rng.hpp"
#include "io/control_socket.hpp"
#include "io/ike_runner.hpp"
#include "json/ike_events.hpp"

using namespace ikekit;

namespace {

constexpr const char* kTool = "ctl-test-daemon";

std::string now_rfc3339() {
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(
                std::chrono::system_clock::now().time_since_epoch()).count();
  return json::rfc3339_utc(us / 1000000, us % 1000000);
}

}  // namespace

int main(int argc, char** argv) {
  cli::CommonOptions common;
  std::string config_file, control_socket = std::string(ctl::kDefaultSocketPath);
  CLI::App app{"ike-up with a control socket (ikectl integration test)", kTool};
  cli::add_common_flags(app, common, kTool);
  app.add_option("--config", config_file, "JSON file with connections (ike-up format)")->required();
  app.add_option("--control-socket", control_socket, "Control socket path");
  if (int rc = cli::parse_args(app, kTool, argc, argv); rc >= 0) return rc;

  cli::IkeUpOptions opts;
  if (auto r = cli::load_ike_up_config(config_file, opts); !r) return cli::report_error(kTool, r.error());
  auto setup = cli::build_ike_up_setup(opts);
  if (!setup) return cli::report_error(kTool, setup.error());

  json::JsonOutput out(std::cout, common.pretty);
  std::unique_ptr<io::ControlServer> control;
  auto on_event = [&](const ike::Event& e, TimePoint) {
    json::Json j = json::event_to_json(e, now_rfc3339());
    if (!j.is_null()) out.write(j);
    if (control) control->publish(e, j);
  };
  crypto::SystemRng rng;
  io::IkeRunnerOptions ro;
  ro.config = std::move(setup->config);
  ro.initiate = setup->initiate;
  auto runner = io::IkeRunner::create(std::move(ro), rng, on_event);
  if (!runner) return cli::report_error(kTool, runner.error());
  io::IkeRunner& r = **runner;

  ctl::ServiceInfo info{cli::version_line(kTool), "none", now_rfc3339(), io::EventLoop::now(), long(::getpid())};
  io::ControlServerOptions co;
  co.path = control_socket;
  co.flush = [&r](TimePoint) {
    for (const auto& p : r.engine().config().peers) {
      io::UdpSocket* s = r.nat_t_socket(p.local.address);
      if (!s) continue;
      static const uint8_t kKeepalive[1] = {0xff};
      (void)s->send(io::SendSlot{ByteView(kKeepalive, 1), s->local(), std::nullopt, false, 0});
      return;
    }
  };
  auto server = io::ControlServer::create(r.loop(), r.engine(), info, co);
  if (!server) return cli::report_error(kTool, server.error());
  control = std::move(*server);
  control->service().set_loader([](const std::string& path) -> Result<ctl::LoadedConnections> {
    cli::IkeUpOptions o;
    if (auto l = cli::load_ike_up_config(path, o); !l) return l.error();
    auto s = cli::build_ike_up_setup(o);
    if (!s) return s.error();
    return ctl::LoadedConnections{std::move(s->config.peers), std::move(s->initiate)};
  });

  out.write({{"type", "started"}, {"schema", std::string(json::kSchemaIkeUp)}, {"time", now_rfc3339()},
             {"version", cli::version_line(kTool)}, {"control_socket", control->path()}});
  if (auto res = r.run(); !res) return cli::report_error(kTool, res.error());
  return cli::kExitOk;
}
