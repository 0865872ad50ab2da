#include "ctl/service.hpp"

#include "base/hex.hpp"
#include "ctl/profile.hpp"

#include "json/engine_views.hpp"
#include <algorithm>
#include <iterator>

namespace ikekit::ctl {

namespace {

using Handler = Outcome (ControlService::*)(const Json&, TimePoint);

double seconds(Duration d) { return std::chrono::duration<double>(d).count(); }

Outcome fail(Error e) {
  Outcome o;
  o.result = std::move(e);
  return o;
}

// Known keys only, with the right JSON types: a typo is an error, not ignored.
Result<void> check_args(const Json& args, std::initializer_list<const char*> known) {
  for (auto it = args.begin(); it != args.end(); ++it) {
    if (std::none_of(known.begin(), known.end(), [&](const char* k) { return it.key() == k; })) {
      std::string allowed;
      for (const char* k : known)
        allowed += std::string(allowed.empty() ? "" : ", ") + k;
      return make_error(Errc::usage, "args." + it.key(),
                        "unknown argument; allowed: " +
                            (allowed.empty() ? std::string("none") : allowed));
    }
  }
  return {};
}

Result<std::optional<std::string>> opt_string(const Json& args, const char* key) {
  auto it = args.find(key);
  if (it == args.end() || it->is_null()) return std::optional<std::string>();
  if (!it->is_string() || it->get<std::string>().empty())
    return make_error(Errc::usage, std::string("args.") + key, "expected a non-empty string");
  return std::optional<std::string>(it->get<std::string>());
}

Result<bool> opt_bool(const Json& args, const char* key) {
  auto it = args.find(key);
  if (it == args.end() || it->is_null()) return false;
  if (!it->is_boolean())
    return make_error(Errc::usage, std::string("args.") + key, "expected true or false");
  return it->get<bool>();
}

bool live(const ike::IkeSaInfo& sa) { return sa.state != ike::IkeSaState::dead; }

// "0x" optional, 1..digits hex digits.
std::optional<uint64_t> parse_spi(std::string_view s, size_t digits) {
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) s.remove_prefix(2);
  return parse_hex_u64(s, digits);
}

Json targets_json(const std::vector<ike::IkeSaInfo>& sas, const std::vector<Target>& ts) {
  Json out = Json::array();
  for (const auto& t : ts) {
    auto sa =
        std::find_if(sas.begin(), sas.end(), [&](const ike::IkeSaInfo& i) { return i.sa == t.sa; });
    Json j{{"sa", t.sa}};
    if (sa != sas.end()) {
      j["conn"] = sa->peer;
      j["spi_i"] = to_hex_u64(sa->spi_i);
      j["spi_r"] = to_hex_u64(sa->spi_r);
    }
    if (t.spi_in) j["spi_in"] = to_hex_u32(*t.spi_in);
    out.push_back(std::move(j));
  }
  return out;
}

// The --ike / --child pair of terminate and rekey: exactly one of them.
Result<std::vector<Target>> select_one(const Json& args, const std::vector<ike::IkeSaInfo>& sas) {
  auto ike_sel = opt_string(args, "ike");
  if (!ike_sel) return ike_sel.error();
  auto child_sel = opt_string(args, "child");
  if (!child_sel) return child_sel.error();
  if (ike_sel->has_value() == child_sel->has_value())
    return make_error(Errc::usage, "args.ike",
                      "give exactly one of ike (NAME|SPI) or child (NAME|SPI)");
  if (*ike_sel) return select_ike(sas, **ike_sel, "args.ike");
  return select_child(sas, **child_sel, "args.child");
}

} // namespace

Result<std::vector<Target>> select_ike(const std::vector<ike::IkeSaInfo>& sas, std::string_view sel,
                                       std::string_view field) {
  std::vector<Target> out;
  for (const auto& sa : sas)
    if (live(sa) && sa.peer == sel) out.push_back({sa.sa, std::nullopt});
  if (out.empty())
    if (auto spi = parse_spi(sel, 16))
      for (const auto& sa : sas)
        if (live(sa) && (sa.spi_i == *spi || sa.spi_r == *spi))
          out.push_back({sa.sa, std::nullopt});
  if (out.empty())
    return make_error(Errc::not_found, std::string(field),
                      "\"" + std::string(sel) +
                          "\": no live IKE SA with this connection name or IKE SPI (see list-sas)");
  return out;
}

Result<std::vector<Target>> select_child(const std::vector<ike::IkeSaInfo>& sas,
                                         std::string_view sel, std::string_view field) {
  std::vector<Target> out;
  for (const auto& sa : sas)
    if (live(sa))
      for (const auto& c : sa.children)
        if (c.name == sel) out.push_back({sa.sa, c.spi_in});
  if (out.empty())
    if (auto spi = parse_spi(sel, 8))
      for (const auto& sa : sas)
        if (live(sa))
          for (const auto& c : sa.children)
            if (c.spi_in == *spi || c.spi_out == *spi) out.push_back({sa.sa, c.spi_in});
  if (out.empty())
    return make_error(Errc::not_found, std::string(field),
                      "\"" + std::string(sel) +
                          "\": no Child SA with this name or ESP SPI (see list-sas)");
  return out;
}

const std::vector<std::string>& ControlService::commands() {
  static const std::vector<std::string> names = {
      "status", "list-conns", "list-sas", "list-leases", "initiate",    "terminate",
      "rekey",  "monitor",    "load",     "unload",      "kill-switch", "profile"};
  return names;
}

Outcome ControlService::execute(const Request& r, TimePoint now) {
  const Json& a = r.args;
  if (r.command == "status") return status(a, now);
  if (r.command == "list-conns") return list_conns(a);
  if (r.command == "list-sas") return list_sas(a, now);
  if (r.command == "list-leases") return list_leases(a);
  if (r.command == "initiate") return initiate(a, now);
  if (r.command == "terminate") return terminate(a, now);
  if (r.command == "rekey") return rekey(a, now);
  if (r.command == "monitor") return monitor(a);
  if (r.command == "load") return load(a, now);
  if (r.command == "unload") return unload(a, now);
  if (r.command == "kill-switch") return kill_switch(a);
  if (r.command == "profile") return profile(a);
  std::string known;
  for (const auto& c : commands())
    known += (known.empty() ? "" : ", ") + c;
  return fail(make_error(Errc::usage, "command",
                         "\"" + r.command + "\": unknown command; expected one of " + known));
}

std::vector<ike::IkeSaInfo> ControlService::all_sas() {
  if (!each_engine_) return engine_.list_sas();
  std::vector<ike::IkeSaInfo> sas;
  each_engine_([&](ike::Engine& e) {
    auto more = e.list_sas();
    std::move(more.begin(), more.end(), std::back_inserter(sas));
  });
  return sas;
}

namespace {

void add_engine_stats(ike::Stats& t, const ike::Stats& s) {
  t.datagrams_received += s.datagrams_received;
  t.datagrams_sent += s.datagrams_sent;
  t.retransmissions += s.retransmissions;
  t.retransmits_answered += s.retransmits_answered;
  t.ike_sas_established += s.ike_sas_established;
  t.child_sas_established += s.child_sas_established;
  t.failures += s.failures;
  t.cookies_sent += s.cookies_sent;
  t.fragments_sent += s.fragments_sent;
  t.fragments_received += s.fragments_received;
  t.nat_keepalives_sent += s.nat_keepalives_sent;
  t.nat_keepalives_received += s.nat_keepalives_received;
  t.peer_moves += s.peer_moves;
  t.mobike_updates_sent += s.mobike_updates_sent;
  t.mobike_updates_received += s.mobike_updates_received;
  t.spare_key_exchanges_made += s.spare_key_exchanges_made;
  t.spare_key_exchanges_used += s.spare_key_exchanges_used;
  t.spare_key_exchanges_failed += s.spare_key_exchanges_failed;
  for (size_t i = 0; i < t.dropped.size(); ++i)
    t.dropped[i] += s.dropped[i];
}

} // namespace

ike::Stats ControlService::all_stats() {
  if (!each_engine_) return engine_.stats();
  ike::Stats t;
  each_engine_([&](ike::Engine& e) { add_engine_stats(t, e.stats()); });
  if (dispatch_stats_) add_engine_stats(t, dispatch_stats_());
  return t;
}

Result<void> ControlService::on_sa(ike::SaId sa,
                                   const std::function<Result<void>(ike::Engine&)>& fn) {
  if (!engine_of_) return fn(engine_);
  Result<void> r;
  engine_of_(sa, [&](ike::Engine& e) { r = fn(e); });
  return r;
}

Outcome ControlService::status(const Json& args, TimePoint now) {
  if (auto c = check_args(args, {}); !c) return fail(c.error());
  auto sas = all_sas();
  Json j;
  j["version"] = info_.version;
  j["pid"] = info_.pid;
  j["started"] = info_.started_time.empty() ? Json() : Json(info_.started_time);
  j["uptime_s"] = seconds(now - info_.started);
  j["dataplane"] = info_.dataplane;
  j["listening"] = json::listening_json(engine_.config());
  j["connections"] = engine_.config().peers.size();
  j["counters"] = json::stats_json(all_stats());
  j["ike_sas"] = json::sas_by_state_json(sas);
  size_t children = 0;
  for (const auto& sa : sas)
    children += sa.children.size();
  j["child_sas"] = children;
  j["radius"] = radius_status_ ? radius_status_() : Json::object();
  j["tcp"] = tcp_status_ ? tcp_status_() : Json();
  j["roaming"] = roaming_status_ ? roaming_status_() : Json();
  j["xfrm_mappings"] = xfrm_mapping_status_ ? xfrm_mapping_status_() : Json();
  Outcome o;
  o.result = std::move(j);
  return o;
}

Outcome ControlService::list_conns(const Json& args) {
  if (auto c = check_args(args, {}); !c) return fail(c.error());
  Json list = Json::array();
  for (const auto& p : engine_.config().peers)
    list.push_back(json::connection_json(p));
  Outcome o;
  o.result = Json{{"connections", std::move(list)}};
  return o;
}

Outcome ControlService::list_leases(const Json& args) {
  if (auto c = check_args(args, {}); !c) return fail(c.error());
  Json list = Json::array();
  for (const auto& p : engine_.list_pools())
    list.push_back(json::pool_json(p));
  Outcome o;
  o.result = Json{{"pools", std::move(list)}};
  return o;
}

Outcome ControlService::list_sas(const Json& args, TimePoint now) {
  if (auto c = check_args(args, {"ike"}); !c) return fail(c.error());
  auto sel = opt_string(args, "ike");
  if (!sel) return fail(sel.error());
  auto sas = all_sas();
  std::vector<Target> only;
  if (*sel) {
    auto t = select_ike(sas, **sel, "args.ike");
    if (t) only = std::move(*t); // nothing matching: an empty list, not an error
  }
  Json list = Json::array();
  for (const auto& sa : sas) {
    if (!live(sa)) continue;
    if (*sel &&
        std::none_of(only.begin(), only.end(), [&](const Target& t) { return t.sa == sa.sa; }))
      continue;
    list.push_back(json::ike_sa_json(sa, now, counters_));
  }
  Outcome o;
  o.result = Json{{"ike_sas", std::move(list)}};
  return o;
}

Outcome ControlService::initiate(const Json& args, TimePoint now) {
  if (auto c = check_args(args, {"name", "child", "wait"}); !c) return fail(c.error());
  auto name = opt_string(args, "name");
  if (!name) return fail(name.error());
  if (!*name)
    return fail(make_error(Errc::usage, "args.name",
                           "missing: the connection to initiate (see list-conns)"));
  auto child = opt_string(args, "child");
  if (!child) return fail(child.error());
  auto wait = opt_bool(args, "wait");
  if (!wait) return fail(wait.error());
  const auto& peers = engine_.config().peers;
  auto p = std::find_if(peers.begin(), peers.end(),
                        [&](const ike::PeerConfig& x) { return x.name == **name; });
  if (p == peers.end())
    return fail(make_error(Errc::not_found, "args.name",
                           "\"" + **name + "\": no connection with this name (see list-conns)"));
  // One Child SA template per connection (PeerConfig::child): it comes up with the IKE SA.
  if (*child && **child != p->child.name)
    return fail(make_error(Errc::not_found, "args.child",
                           "\"" + **child + "\": connection \"" + **name + "\" has the child \"" +
                               p->child.name + "\" only"));
  auto sa = engine_.initiate(**name, now);
  if (!sa) {
    Error e = sa.error();
    return fail(e.within("args.name"));
  }
  Outcome o;
  o.result = Json{{"sa", *sa}, {"conn", **name}, {"child", p->child.name}};
  if (*wait) o.wait = Wait{WaitKind::initiate, {Target{*sa, std::nullopt}}};
  return o;
}

Outcome ControlService::terminate(const Json& args, TimePoint now) {
  if (auto c = check_args(args, {"ike", "child", "wait"}); !c) return fail(c.error());
  auto wait = opt_bool(args, "wait");
  if (!wait) return fail(wait.error());
  auto sas = all_sas();
  auto targets = select_one(args, sas);
  if (!targets) return fail(targets.error());
  for (const auto& t : *targets) {
    auto r = on_sa(t.sa, [&](ike::Engine& e) {
      return t.spi_in ? e.terminate_child(t.sa, *t.spi_in, now) : e.terminate(t.sa, now);
    });
    if (!r) return fail(r.error());
  }
  Outcome o;
  o.result = Json{{"targets", targets_json(sas, *targets)}};
  if (*wait) o.wait = Wait{WaitKind::terminate, *targets};
  return o;
}

Outcome ControlService::rekey(const Json& args, TimePoint now) {
  if (auto c = check_args(args, {"ike", "child", "wait"}); !c) return fail(c.error());
  auto wait = opt_bool(args, "wait");
  if (!wait) return fail(wait.error());
  auto sas = all_sas();
  auto targets = select_one(args, sas);
  if (!targets) return fail(targets.error());
  for (const auto& t : *targets) {
    auto r = on_sa(t.sa, [&](ike::Engine& e) {
      return t.spi_in ? e.rekey_child(t.sa, *t.spi_in, now) : e.rekey_ike(t.sa, now);
    });
    if (!r) return fail(r.error());
  }
  Outcome o;
  o.result = Json{{"targets", targets_json(sas, *targets)}};
  if (*wait) o.wait = Wait{WaitKind::rekey, *targets};
  return o;
}

Outcome ControlService::monitor(const Json& args) {
  if (auto c = check_args(args, {}); !c) return fail(c.error());
  Outcome o;
  o.result = Json{{"subscribed", true}};
  o.subscribe = true;
  return o;
}

Outcome ControlService::load(const Json& args, TimePoint now) {
  if (auto c = check_args(args, {"config"}); !c) return fail(c.error());
  auto path = opt_string(args, "config");
  if (!path) return fail(path.error());
  if (!*path)
    return fail(
        make_error(Errc::usage, "args.config", "missing: the JSON connection file to load"));
  if (!load_)
    return fail(make_error(Errc::unsupported, "command", "this daemon does not load connections"));
  if (each_engine_)
    return fail(make_error(Errc::unsupported, "command",
                           "not yet with several engines (ike-up --threads 1 loads and unloads)"));

  auto loaded = load_(**path);
  if (!loaded) return fail(loaded.error());
  Json done = Json::array();
  for (const auto& p : loaded->peers) {
    bool replaced = std::any_of(engine_.config().peers.begin(), engine_.config().peers.end(),
                                [&](const ike::PeerConfig& x) { return x.name == p.name; });
    bool start = std::find(loaded->initiate.begin(), loaded->initiate.end(), p.name) !=
                 loaded->initiate.end();
    Json sa_id;
    if (start) {
      auto sa = engine_.initiate(p, now);
      if (!sa) {
        Error e = sa.error();
        return fail(e.within("connections[" + p.name + "]"));
      }
      sa_id = *sa;
    } else if (auto r = engine_.add_peer(p, now); !r) {
      Error e = r.error();
      return fail(e.within("connections[" + p.name + "]"));
    }
    done.push_back({{"name", p.name}, {"replaced", replaced}, {"initiated", start}, {"sa", sa_id}});
  }
  Outcome o;
  o.result = Json{{"loaded", std::move(done)}};
  return o;
}

// Only "off": turning it on again belongs to ike-up's start (the rules go in before the
// first packet), not to a running daemon.
Outcome ControlService::kill_switch(const Json& args) {
  if (auto c = check_args(args, {"state"}); !c) return fail(c.error());
  auto state = opt_string(args, "state");
  if (!state) return fail(state.error());
  if (!*state || **state != "off")
    return fail(make_error(Errc::usage, "args.state", "expected \"off\""));
  if (!kill_switch_off_)
    return fail(
        make_error(Errc::not_found, "kill_switch", "this ike-up runs without --kill-switch"));
  auto r = kill_switch_off_();
  if (!r) return fail(r.error());
  return Outcome{std::move(*r)};
}

Outcome ControlService::unload(const Json& args, TimePoint now) {
  if (auto c = check_args(args, {"name", "wait"}); !c) return fail(c.error());
  auto name = opt_string(args, "name");
  if (!name) return fail(name.error());
  if (!*name)
    return fail(
        make_error(Errc::usage, "args.name", "missing: the connection to unload (see list-conns)"));
  auto wait = opt_bool(args, "wait");
  if (!wait) return fail(wait.error());
  if (each_engine_)
    return fail(make_error(Errc::unsupported, "command",
                           "not yet with several engines (ike-up --threads 1 loads and unloads)"));
  auto sas = engine_.list_sas();
  std::vector<Target> targets; // the IKE SAs remove_peer deletes (or drops)
  for (const auto& sa : sas)
    if (live(sa) && sa.peer == **name) targets.push_back({sa.sa, std::nullopt});
  if (auto r = engine_.remove_peer(**name, now); !r) {
    Error e = r.error();
    if (e.code == Errc::not_found)
      return fail(make_error(Errc::not_found, "args.name",
                             "\"" + **name + "\": no connection with this name (see list-conns)"));
    return fail(e.within("args.name"));
  }
  // Only a Delete exchange ends in an event to wait for; an SA still connecting is
  // dropped without one.
  Wait w{WaitKind::terminate, {}};
  for (const auto& sa : sas)
    if (sa.peer == **name &&
        (sa.state == ike::IkeSaState::established || sa.state == ike::IkeSaState::rekeying ||
         sa.state == ike::IkeSaState::deleting))
      w.pending.push_back({sa.sa, std::nullopt});
  Outcome o;
  o.result = Json{{"name", **name}, {"targets", targets_json(sas, targets)}};
  if (*wait) o.wait = std::move(w); // nothing pending: done at once
  return o;
}

// A remote-access connection's facts for a client profile (ikectl profile): never the
// PSK or a private key, only what a client may know (ctl/profile.hpp).
Outcome ControlService::profile(const Json& args) {
  if (auto c = check_args(args, {"conn"}); !c) return fail(c.error());
  auto name = opt_string(args, "conn");
  if (!name) return fail(name.error());
  if (!*name)
    return fail(make_error(Errc::usage, "args.conn", "missing: the connection (see list-conns)"));
  const auto& peers = engine_.config().peers;
  auto p = std::find_if(peers.begin(), peers.end(),
                        [&](const ike::PeerConfig& x) { return x.name == **name; });
  if (p == peers.end())
    return fail(make_error(Errc::not_found, "args.conn",
                           "\"" + **name + "\": no connection with this name (see list-conns)"));
  return Outcome{profile_facts_json(*p)};
}

} // namespace ikekit::ctl
