#include "control.hpp"

#include "cli/ike_up_options.hpp"

#include "json/output.hpp"
#include <iostream>
#include <unistd.h>

using namespace ikekit;

namespace {

// ikectl status "radius": per eap-radius connection, its RADIUS client (ikectl(8)).
json::Json radius_status(const io::IkeRunner& runner) {
  json::Json all = json::Json::object();
  for (const auto& [name, relay] : runner.radius_relays()) {
    const radius::ClientStats& s = relay->stats();
    json::Json servers = json::Json::array();
    for (const auto& e : relay->servers())
      servers.push_back(e.to_string());
    json::Json dropped = json::Json::object();
    for (size_t r = 0; r < radius::kDropReasonCount; ++r)
      dropped[std::string(radius::drop_reason_name(radius::DropReason(r)))] = s.dropped[r];
    all[name] = {{"servers", std::move(servers)},
                 {"current_server", relay->current_server().to_string()},
                 {"outstanding", relay->outstanding()},
                 {"requests", s.requests},
                 {"transmissions", s.transmissions},
                 {"retransmissions", s.retransmissions},
                 {"failovers", s.failovers},
                 {"timeouts", s.timeouts},
                 {"responses", s.responses},
                 {"dropped", std::move(dropped)}};
  }
  return all;
}

} // namespace

Result<std::unique_ptr<io::ControlServer>>
start_control_socket(io::IkeRunner& runner, const std::string& path, const std::string& dataplane,
                     const std::string& version, const std::string& started_time,
                     io::EngineDataplane* plane) {
  if (path == "none") return std::unique_ptr<io::ControlServer>();
  bool is_default = path.empty();
  ctl::ServiceInfo info{version, dataplane, started_time, io::EventLoop::now(), long(::getpid())};
  io::ControlServerOptions options;
  options.path = is_default ? std::string(ctl::kDefaultSocketPath) : path;
  options.flush = [&runner](TimePoint now) { runner.pump(now); };
  auto server = io::ControlServer::create(runner.loop(), runner.engine(), info, options);
  if (!server) {
    if (!is_default) return server.error();
    std::cerr << "ike-up: warning: no control socket: " << server.error().message
              << " (use --control-socket PATH)" << std::endl;
    return std::unique_ptr<io::ControlServer>();
  }
  // `ikectl load` reads connections in ike-up's own JSON config format.
  (*server)->service().set_loader([](const std::string& file) -> Result<ctl::LoadedConnections> {
    cli::IkeUpOptions o;
    if (auto l = cli::load_ike_up_config(file, o); !l) return l.error();
    auto s = cli::build_ike_up_setup(o);
    if (!s) return s.error();
    return ctl::LoadedConnections{std::move(s->config.peers), std::move(s->initiate)};
  });
  (*server)->service().set_radius_status([&runner] { return radius_status(runner); });
  // list-sas: per-Child SA bytes, packets and last use from the data plane.
  if (plane)
    (*server)->service().set_counters([plane](
                                          uint32_t spi_in) -> std::optional<json::ChildCounters> {
      auto c = plane->child_sa_counters(spi_in);
      if (!c) return std::nullopt;
      json::ChildCounters n{c->bytes_in, c->packets_in, c->bytes_out, c->packets_out, std::nullopt};
      if (c->last_used_ns > 0)
        n.last_used =
            json::rfc3339_utc(c->last_used_ns / 1000000000, (c->last_used_ns / 1000) % 1000000);
      return n;
    });
  return std::move(*server);
}
