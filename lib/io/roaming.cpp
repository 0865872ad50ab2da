#include "io/roaming.hpp"

#include "io/ike_up_events.hpp" // now_rfc3339

#include "json/ike_events.hpp"   // endpoint_json
#include "json/payload_json.hpp" // error_to_json
#include <algorithm>

namespace ikekit::io {

Roaming::Roaming(IkeRunner& runner, RouteWatch watch, ReportFn report)
    : runner_(runner), watch_(std::move(watch)), report_(std::move(report)) {}

Roaming::~Roaming() { (void)runner_.loop().remove(watch_.fd()); }

Result<std::unique_ptr<Roaming>> Roaming::start(IkeRunner& runner, ReportFn report) {
  auto watch = RouteWatch::open();
  if (!watch) return watch.error();
  std::unique_ptr<Roaming> r(new Roaming(runner, std::move(*watch), std::move(report)));
  Roaming* self = r.get();
  auto added =
      runner.loop().add_reader(self->watch_.fd(), [self](TimePoint t) { self->on_readable(t); });
  if (!added) return added.error();
  return r;
}

// Any change may move a path (an address gone, a better route, a link down whose routes
// the kernel drops without telling): every SA's route is asked again, at once.
void Roaming::on_readable(TimePoint now) {
  changes_.clear();
  auto r = watch_.read(changes_);
  if (!r) { // the socket broke: stop watching rather than spin on it
    report_({{"type", "path_error"},
             {"time", now_rfc3339()},
             {"error", json::error_to_json(r.error())}});
    (void)runner_.loop().remove(watch_.fd());
    return;
  }
  stats_.route_changes += changes_.size();
  stats_.overflows += uint64_t(*r);
  stats_.malformed = watch_.stats().malformed;
  if (*r || !changes_.empty()) check(now);
}

void Roaming::check(TimePoint now) {
  ++stats_.checks;
  auto sas = runner_.engine().list_sas();
  Lookups lookups; // by peer address: SAs towards one peer share the kernel's answer
  for (const auto& sa : sas)
    check_sa(sa, lookups, now);
  std::erase_if(paths_, [&](const auto& p) {
    return std::none_of(sas.begin(), sas.end(), [&](const auto& s) { return s.sa == p.first; });
  });
  runner_.pump(now);
}

namespace {
json::Json path_head(const char* type, const ike::IkeSaInfo& sa) {
  return {{"type", type},
          {"time", now_rfc3339()},
          {"sa", sa.sa},
          {"conn", sa.peer},
          {"local", json::endpoint_json(sa.local)},
          {"remote", json::endpoint_json(sa.remote)},
          {"initiator", sa.initiator},
          {"mobike", sa.mobike}};
}
} // namespace

json::Json Roaming::stats_json() const {
  return {{"route_changes", stats_.route_changes}, {"overflows", stats_.overflows},
          {"malformed", stats_.malformed},         {"checks", stats_.checks},
          {"route_lookups", stats_.route_lookups}, {"path_changes", stats_.path_changes},
          {"paths_lost", stats_.paths_lost},       {"moves_started", stats_.moves_started},
          {"move_errors", stats_.move_errors}};
}

void Roaming::check_sa(const ike::IkeSaInfo& sa, Lookups& lookups, TimePoint now) {
  // An SA not up yet has nothing to move. One in a TCP stream moves too (RFC 9329 7.1):
  // its update goes in a new connection from the new address (move()).
  if (sa.state != ike::IkeSaState::established && sa.state != ike::IkeSaState::rekeying) return;
  auto [it, fresh] = lookups.try_emplace(sa.remote.address, std::nullopt);
  if (fresh) {
    it->second = route_source(sa.remote.address);
    ++stats_.route_lookups;
  }
  const auto& src = it->second;
  if (!src) return; // the kernel could not be asked: the next change asks again
  Path& path = paths_[sa.sa];
  if (!*src) {
    if (path.lost) return;
    path.lost = true;
    json::Json j = path_head("path_lost", sa);
    j["reason"] = "no_route";
    ++stats_.paths_lost;
    report_(j);
    return;
  }
  const bool was_lost = std::exchange(path.lost, false);
  if (**src == sa.local.address && !was_lost) return;
  const char* why_not = !sa.initiator ? "responder"
                        : !sa.mobike  ? "mobike_not_negotiated"
                                      : nullptr;
  if (why_not && path.unmovable == **src) return; // said so already
  json::Json j = path_head("path_changed", sa);
  j["new_local"] = (*src)->to_string();
  j["moving"] = why_not == nullptr;
  j["reason"] = why_not ? json::Json(why_not) : json::Json();
  ++stats_.path_changes;
  report_(j);
  if (why_not) {
    path.unmovable = **src;
    return;
  }
  path.unmovable.reset();
  move(sa, **src, now);
}

// RFC 4555 3.5: sockets on the new address first (the update leaves from there), then
// the engine moves and queues UPDATE_SA_ADDRESSES; its ike_sa_moved moves the ESP.
// RFC 9329 7.1: an SA in a TCP stream needs no UDP socket there: the update (and the
// request in flight) go in a connection the TCP layer opens from the new address, and
// the ESP follows that connection.
void Roaming::move(const ike::IkeSaInfo& sa, const IpAddress& local, TimePoint now) {
  uint16_t ike_port = kIkePort;
  for (const auto& p : runner_.engine().config().peers)
    if (p.name == sa.peer) ike_port = p.local.port;
  Result<void> moved;
  if (!sa.stream)
    if (auto bound = runner_.bind_local(local, ike_port); !bound) moved = bound.error();
  if (moved) moved = runner_.engine().move_local(sa.sa, local, now);
  if (moved) {
    ++stats_.moves_started;
    return;
  }
  ++stats_.move_errors;
  json::Json j = path_head("path_error", sa);
  j["new_local"] = local.to_string();
  j["error"] = json::error_to_json(moved.error());
  report_(j);
}

} // namespace ikekit::io
