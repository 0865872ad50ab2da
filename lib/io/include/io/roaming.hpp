// ike-up as a roaming MOBIKE initiator (RFC 4555): when the kernel's addresses, routes
// or links change (io/route_watch.hpp, read at once from the event loop), every IKE SA
// asks the kernel which local address the route to its peer leaves from now. Another
// address: the initiator of a MOBIKE SA binds IKE and NAT-T there and moves
// (Engine::move_local: UPDATE_SA_ADDRESSES from the new address; the data plane's ESP
// follows on ike_sa_moved). No route: path_lost, and the move happens when a route
// appears (also back to the same address, so the peer learns the path again). A
// responder (3.3: the initiator decides) or an SA without MOBIKE does not move: a
// path_changed event says so. IKE over TCP moves the same way (RFC 9329 7.1): the
// update goes in a new connection from the new address, and the ESP follows it.
// One change costs one route lookup per distinct peer address, however many SAs share
// it (the route's source depends on nothing else).
#pragma once

#include "io/ike_runner.hpp"
#include "io/route_watch.hpp"

#include "json/output.hpp"
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <vector>

namespace ikekit::io {

class Roaming {
public:
  // Receives the path_lost / path_changed JSON lines (ikekit-json(7)).
  using ReportFn = std::function<void(const json::Json& line)>;
  // Watches rtnetlink in runner.loop(); `runner` outlives the Roaming.
  static Result<std::unique_ptr<Roaming>> start(IkeRunner& runner, ReportFn report);
  ~Roaming(); // leaves the loop
  Roaming(const Roaming&) = delete;
  Roaming& operator=(const Roaming&) = delete;

  // Looks at the path of every IKE SA now, moves what must move, sends what the engine
  // queued.
  void check(TimePoint now);

  // What the watch saw and did since start (ikectl status "roaming", ikekit-json(7)).
  struct Stats {
    uint64_t route_changes = 0; // address, route and link messages read from rtnetlink
    uint64_t overflows = 0;     // the kernel dropped notifications (ENOBUFS): all re-checked
    uint64_t malformed = 0;     // rtnetlink messages or attributes cut short
    uint64_t checks = 0;        // times every SA's path was looked at
    uint64_t route_lookups = 0; // kernel route queries (one per distinct peer and check)
    uint64_t path_changes = 0;  // path_changed events
    uint64_t paths_lost = 0;    // path_lost events
    uint64_t moves_started = 0; // MOBIKE moves begun (UPDATE_SA_ADDRESSES queued)
    uint64_t move_errors = 0;   // path_error events for a move
  };
  const Stats& stats() const { return stats_; }
  json::Json stats_json() const;

private:
  Roaming(IkeRunner& runner, RouteWatch watch, ReportFn report);
  void on_readable(TimePoint now);
  using Lookups = std::map<IpAddress, Result<std::optional<IpAddress>>>;
  void check_sa(const ike::IkeSaInfo& sa, Lookups& lookups, TimePoint now);
  void move(const ike::IkeSaInfo& sa, const IpAddress& local, TimePoint now);

  struct Path {
    bool lost = false;                  // path_lost reported, no route since
    std::optional<IpAddress> unmovable; // path_changed reported for this address, not moved
  };

  IkeRunner& runner_;
  RouteWatch watch_;
  ReportFn report_;
  std::map<ike::SaId, Path> paths_;
  std::vector<RouteChange> changes_; // reused between reads
  Stats stats_;
};

} // namespace ikekit::io
