// ControlService: executes ikectl commands against a running ike::Engine (ikectl(8)).
// Sans-I/O: a request and the time in, a result (or an Error naming the argument) out;
// the engine's queued datagrams are sent by whoever owns the sockets (lib/io).
//
//   command     args                                   result
//   status      {}                                     version, uptime, listening, counters, SAs by
//   state list-conns  {}                                     {"connections":[...]}   (never a
//   secret) list-sas    {"ike"?: NAME|SPI}                     {"ike_sas":[...]} initiate {"name",
//   "child"?, "wait"?}            {"sa": id} terminate   {"ike"|"child": NAME|SPI, "wait"?}
//   {"targets":[...]} rekey       {"ike"|"child": NAME|SPI, "wait"?}     {"targets":[...]} monitor
//   {}                                     {"subscribed":true}, then events load        {"config":
//   PATH}                       {"loaded":[...]} unload      {"name", "wait"?} {"name",
//   "targets":[...]}
//   list-leases {}                                     {"pools":[...]} (address pools, leases)
//   profile     {"conn": NAME}                         the connection's facts for a client
//               profile (ctl/profile.hpp; certificates, proposals, pools; never a secret)
//
// An IKE SA is named by its connection name (every live SA of it) or by either IKE SPI
// in hex; a Child SA by its name or by either ESP SPI in hex.
//
// load adds or replaces the file's connections: those ike-up would initiate
// (role initiator) are initiated (Engine::initiate(PeerConfig)), the others only added
// (Engine::add_peer), so a responder accepts them from the next IKE_SA_INIT. unload
// removes one (Engine::remove_peer): its IKE SAs are deleted with D(IKE) and a
// responder no longer accepts it; "targets" lists the IKE SAs being deleted, and
// "wait" streams their deletion as terminate does.
#pragma once

#include "base/result.hpp"
#include "base/time.hpp"
#include "ctl/protocol.hpp"
#include "ctl/wait.hpp"
#include "ike/engine.hpp"

#include "json/engine_views.hpp"
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace ikekit::ctl {

// What the daemon tells about itself in status and hello.
struct ServiceInfo {
  std::string version;            // "ike-up 0.1.0 (commit ...)"
  std::string dataplane = "none"; // "none", "tun", "xfrm"
  std::string started_time;       // RFC 3339 wall clock (from the caller)
  TimePoint started{};            // engine time at start (uptime = now - started)
  long pid = 0;
};

// What `load` gets from the daemon's config reader (ike-up: cli::load_ike_up_config).
struct LoadedConnections {
  std::vector<ike::PeerConfig> peers;
  std::vector<std::string> initiate; // names of peers with role initiator
};
using LoadFn = std::function<Result<LoadedConnections>(const std::string& path)>;

struct Outcome {
  Result<Json> result = Json::object();
  bool subscribe = false;   // monitor: stream every event to this client from now on
  std::optional<Wait> wait; // "wait":true: stream the targets' events until done
};

class ControlService {
public:
  ControlService(ike::Engine& engine, ServiceInfo info) : engine_(engine), info_(std::move(info)) {}

  void set_loader(LoadFn fn) { load_ = std::move(fn); }
  // Where list-sas gets each Child SA's traffic (ike-up: its data plane); without it
  // the traffic keys are null.
  void set_counters(json::CountersFn fn) { counters_ = std::move(fn); }
  // kill-switch {"state":"off"}: ends the daemon's kill switch (ike-up --kill-switch)
  // and returns what it did; without it the command says the daemon has none.
  void set_kill_switch_off(std::function<Result<Json>()> fn) { kill_switch_off_ = std::move(fn); }
  // status "radius": the RADIUS client of each eap-radius connection, by connection name
  // (ike-up: its relays' servers and counters); without it an empty object.
  void set_radius_status(std::function<Json()> fn) { radius_status_ = std::move(fn); }
  // status "tcp": the RFC 9329 connections' counters (null: IKE over TCP is off).
  void set_tcp_status(std::function<Json()> fn) { tcp_status_ = std::move(fn); }
  // Several engines (ike-up --threads, ike/shard.hpp): `each` runs a function on every
  // engine (the constructor's first), `of_sa` on the one that owns an SA. status and
  // list-sas then cover every engine and terminate/rekey reach the owner; load and
  // unload are refused. `dispatch` (may be empty): the counters of what the daemon's
  // socket thread answered and dropped before any engine saw it (ike-up: COOKIEs,
  // handoff_full), added to the engines' in status. Without them: the constructor's
  // engine alone.
  using EngineFn = std::function<void(ike::Engine&)>;
  void set_engines(std::function<void(const EngineFn&)> each,
                   std::function<void(ike::SaId, const EngineFn&)> of_sa,
                   std::function<ike::Stats()> dispatch = {}) {
    each_engine_ = std::move(each);
    engine_of_ = std::move(of_sa);
    dispatch_stats_ = std::move(dispatch);
  }
  // status "roaming": what the daemon's address and route watch saw and did (ike-up:
  // io::Roaming::stats_json); without it null.
  void set_roaming_status(std::function<Json()> fn) { roaming_status_ = std::move(fn); }
  // status "xfrm_mappings": the kernel's NAT mapping reports the XFRM data plane read
  // (ike-up --dataplane xfrm); without it null.
  void set_xfrm_mapping_status(std::function<Json()> fn) { xfrm_mapping_status_ = std::move(fn); }
  const ServiceInfo& info() const { return info_; }

  // Errors name the argument: Errc::usage "command" (unknown), "args.ike" (missing or
  // both), Errc::not_found "args.ike" (no such SA), the engine's own errors otherwise.
  Outcome execute(const Request& request, TimePoint now);

  // The commands execute() knows, in the order ikectl --help lists them.
  static const std::vector<std::string>& commands();

private:
  Outcome status(const Json& args, TimePoint now);
  Outcome list_conns(const Json& args);
  Outcome list_sas(const Json& args, TimePoint now);
  Outcome list_leases(const Json& args);
  Outcome initiate(const Json& args, TimePoint now);
  Outcome terminate(const Json& args, TimePoint now);
  Outcome rekey(const Json& args, TimePoint now);
  Outcome monitor(const Json& args);
  Outcome load(const Json& args, TimePoint now);
  Outcome unload(const Json& args, TimePoint now);
  Outcome kill_switch(const Json& args);
  Outcome profile(const Json& args);

  std::vector<ike::IkeSaInfo> all_sas();
  ike::Stats all_stats();
  Result<void> on_sa(ike::SaId sa, const std::function<Result<void>(ike::Engine&)>& fn);

  ike::Engine& engine_;
  std::function<void(const EngineFn&)> each_engine_;
  std::function<void(ike::SaId, const EngineFn&)> engine_of_;
  std::function<ike::Stats()> dispatch_stats_;
  ServiceInfo info_;
  LoadFn load_;
  json::CountersFn counters_;
  std::function<Result<Json>()> kill_switch_off_;
  std::function<Json()> radius_status_;
  std::function<Json()> tcp_status_;
  std::function<Json()> roaming_status_;
  std::function<Json()> xfrm_mapping_status_;
};

// Which SAs a selector names (ikectl --ike / --child), among the live ones.
// Errors: Errc::not_found, field `field`.
Result<std::vector<Target>> select_ike(const std::vector<ike::IkeSaInfo>& sas, std::string_view sel,
                                       std::string_view field);
Result<std::vector<Target>> select_child(const std::vector<ike::IkeSaInfo>& sas,
                                         std::string_view sel, std::string_view field);

} // namespace ikekit::ctl
