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

// The counters of RFC 9329 streams, in (the readers') and out (the writers'): the same
// keys for every connection and for the totals.
json::Json stream_counters(const wire::TcpEncapStats& in, const io::StreamWriterStats& out) {
  json::Json framing = json::Json::object();
  for (size_t r = 0; r < wire::kTcpDropReasons; ++r)
    framing[std::string(wire::tcp_drop_name(wire::TcpDrop(r)))] = in.dropped[r];
  return {{"frames_in", {{"ike", in.ike}, {"esp", in.esp}, {"keepalives", in.keepalives}}},
          {"framing_errors", std::move(framing)},
          {"bytes_in", in.bytes},
          {"frames_out", {{"ike", out.ike_frames}, {"esp", out.esp_frames}}},
          {"dropped_out",
           {{"ike", out.ike_dropped}, {"esp_full", out.esp_full}, {"esp_closed", out.esp_closed}}},
          {"bytes_out", out.bytes}};
}

// ikectl status "tcp": null without IKE over TCP; else the totals since start and each
// open connection (ikectl(8), ikekit-json(7)).
json::Json tcp_status(io::IkeRunner& runner) {
  const io::TcpStreams* tcp = runner.tcp();
  if (!tcp) return json::Json();
  const io::TcpStreamsStats& s = tcp->stats();
  json::Json j = stream_counters(tcp->reader_stats(), tcp->writer_stats());
  j["connections_opened"] = s.connects;
  j["connections_accepted"] = s.accepted;
  j["connections_refused"] = s.refused;
  j["connect_failed"] = s.connect_failed;
  j["closed_idle"] = s.closed_idle;
  j["broken"] = s.broken;
  j["reestablished"] = s.reestablished;
  j["ike_unsent"] = s.unsent;
  j["esp_in_dropped"] = {{"too_large", s.esp_too_large}, {"no_dataplane", s.esp_no_dataplane}};
  json::Json open = json::Json::array();
  for (const io::TcpConnectionView& c : tcp->connections(io::EventLoop::now())) {
    json::Json one = stream_counters(c.in, c.out);
    one["local"] = c.local.to_string();
    one["remote"] = c.remote.to_string();
    one["originator"] = c.originator;
    one["connected"] = c.connected;
    one["ike_sas"] = c.sas;
    one["pending_bytes"] = c.pending_bytes;
    one["age_ms"] = std::chrono::duration_cast<std::chrono::milliseconds>(c.age).count();
    open.push_back(std::move(one));
  }
  j["open"] = std::move(open);
  return j;
}

// ikectl status "xfrm_mappings": the kernel's NAT mapping reports (XFRM data plane).
json::Json xfrm_mapping_status(const io::XfrmMappingStats& s) {
  return {{"received", s.received},
          {"unknown_spi", s.unknown_spi},
          {"overflows", s.overflows},
          {"read_failed", s.read_failed},
          {"dropped",
           {{"truncated", s.truncated},
            {"bad_family", s.bad_family},
            {"not_esp", s.not_esp},
            {"bad_port", s.bad_port},
            {"other_type", s.other_type},
            {"not_from_kernel", s.not_from_kernel}}}};
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
  if (runner.engine_count() > 1) // --threads: every engine's SAs (ike/shard.hpp)
    (*server)->service().set_engines(
        [&runner](const ctl::ControlService::EngineFn& fn) { runner.for_each_engine(fn); },
        [&runner](ike::SaId sa, const ctl::ControlService::EngineFn& fn) {
          runner.with_engine_of(sa, fn);
        },
        [&runner] { return runner.dispatch_stats(); });
  (*server)->service().set_radius_status([&runner] { return radius_status(runner); });
  (*server)->service().set_tcp_status([&runner] { return tcp_status(runner); });
  if (plane && plane->xfrm_mapping_stats())
    (*server)->service().set_xfrm_mapping_status(
        [plane] { return xfrm_mapping_status(*plane->xfrm_mapping_stats()); });
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
