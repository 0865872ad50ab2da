#include "json/engine_views.hpp"

#include "base/hex.hpp"
#include "scalars.hpp"

#include "json/ike_events.hpp"
#include <algorithm>

namespace ikekit::json {

namespace {

// Seconds from now until `t` (negative when past), null when unset.
Json until(const std::optional<TimePoint>& t, TimePoint now) {
  return t ? Json(seconds(*t - now)) : Json();
}

Json proposals(const std::vector<crypto::ParsedProposal>& ps) {
  Json out = Json::array();
  for (const auto& p : ps)
    out.push_back(ike::proposal_string(p));
  return out;
}

} // namespace

Json child_sa_json(const ike::ChildSaInfo& c, TimePoint now,
                   const std::optional<ChildCounters>& n) {
  Json j;
  j["child"] = c.name;
  j["spi_in"] = to_hex_u32(c.spi_in);
  j["spi_out"] = to_hex_u32(c.spi_out);
  j["mode"] = std::string(ike::child_mode_name(c.mode));
  j["udp_encap"] = c.udp_encap;
  j["encr"] = keyword(c.encr);
  j["integ"] = keyword(c.integ);
  j["esn"] = c.esn;
  j["local_ts"] = ts_list_json(c.local_ts);
  j["remote_ts"] = ts_list_json(c.remote_ts);
  j["age_s"] = c.established_at == TimePoint{} ? Json() : Json(seconds(now - c.established_at));
  j["rekey_in_s"] = until(c.rekey_at, now);
  j["expire_in_s"] = until(c.expire_at, now);
  j["bytes_in"] = n ? Json(n->bytes_in) : Json();
  j["packets_in"] = n ? Json(n->packets_in) : Json();
  j["bytes_out"] = n ? Json(n->bytes_out) : Json();
  j["packets_out"] = n ? Json(n->packets_out) : Json();
  j["last_used"] = n && n->last_used ? Json(*n->last_used) : Json();
  return j;
}

Json ike_sa_json(const ike::IkeSaInfo& sa, TimePoint now, const CountersFn& counters) {
  Json j;
  j["sa"] = sa.sa;
  j["conn"] = sa.peer;
  j["initiator"] = sa.initiator;
  j["state"] = std::string(ike::ike_sa_state_name(sa.state));
  j["spi_i"] = to_hex_u64(sa.spi_i);
  j["spi_r"] = to_hex_u64(sa.spi_r);
  j["local"] = sa.local.to_string();
  j["remote"] = sa.remote.to_string();
  j["nat_t"] = sa.nat_t;
  j["transport"] = sa.stream ? "tcp" : "udp"; // RFC 9329
  j["nat_local"] = sa.nat_local;
  j["nat_remote"] = sa.nat_remote;
  j["encap"] = std::string(ike::encap_name(sa.encap));
  j["mobike"] = sa.mobike;
  j["moves"] = sa.moves;
  j["peer_additional_addresses"] = address_list_json(sa.peer_addresses);
  j["encr"] = keyword(sa.encr);
  j["integ"] = keyword(sa.integ);
  j["prf"] = keyword(sa.prf);
  j["ke"] = keyword(sa.ke);
  j["local_id"] = sa.local_id.to_string();
  j["remote_id"] = sa.remote_id ? Json(sa.remote_id->to_string()) : Json();
  j["local_auth"] = keyword(sa.local_auth);
  j["remote_auth"] = keyword(sa.remote_auth);
  j["eap_method"] = keyword(sa.eap_method);
  j["eap_identity"] = keyword(sa.eap_identity);
  j["age_s"] = sa.established_at == TimePoint{} ? Json() : Json(seconds(now - sa.established_at));
  j["rekey_in_s"] = until(sa.rekey_at, now);
  j["expire_in_s"] = until(sa.expire_at, now);
  j["reauth_in_s"] = until(sa.reauth_at, now);
  j["next_message_id_out"] = sa.next_message_id_out;
  j["next_message_id_in"] = sa.next_message_id_in;
  j["virtual_ips"] = address_list_json(sa.virtual_ips);
  j["dns"] = address_list_json(sa.dns);
  j["subnets"] = prefix_list_json(sa.subnets);
  j["children"] = Json::array();
  for (const auto& c : sa.children)
    j["children"].push_back(child_sa_json(c, now, counters ? counters(c.spi_in) : std::nullopt));
  return j;
}

Json pool_json(const ike::PoolInfo& p) {
  Json leases = Json::array();
  for (const auto& l : p.leases)
    leases.push_back(
        Json{{"address", l.address.to_string()}, {"identity", l.identity}, {"online", l.online}});
  return Json{{"pool", p.pool.to_string()}, {"size", p.size},
              {"online", p.online},         {"offline", p.offline},
              {"never_used", p.never_used}, {"leases", std::move(leases)}};
}

Json connection_json(const ike::PeerConfig& p) {
  Json j;
  j["name"] = p.name;
  j["local"] = p.local.to_string();
  j["remote"] =
      p.remote_address ? Json(ike::Endpoint{*p.remote_address, p.remote_port}.to_string()) : Json();
  j["ike_proposals"] = proposals(p.ike_proposals);
  j["local_id"] = p.local_id.to_string();
  j["remote_id"] = p.remote_id ? Json(p.remote_id->to_string()) : Json();
  j["local_auth"] = std::string(ike::auth_method_kind_name(p.local_auth));
  // An EAP server names its backend: eap-mschapv2 (local users) or eap-radius (relayed).
  j["remote_auth"] = p.eap_backend ? std::string(p.eap_backend->method())
                                   : std::string(ike::auth_method_kind_name(p.remote_auth));
  // Never the PSK or the private key; only whether they are there.
  j["psk_set"] = !p.psk.empty();
  j["certs"] = Json::array();
  for (const auto& c : p.local_certs)
    j["certs"].push_back(c.subject());
  j["ca_set"] = p.cas != nullptr;
  j["ike_rekey_time_s"] = seconds_or_null(p.ike_lifetimes.rekey_time);
  j["ike_life_time_s"] = seconds_or_null(p.ike_lifetimes.life_time);
  j["dpd_delay_s"] = seconds_or_null(p.dpd_delay);
  j["dpd_action"] = p.dpd_action == ike::DpdAction::restart ? "restart" : "clear";
  j["force_encap"] = p.force_encap;
  j["mobike"] = p.mobike;
  j["unique"] = std::string(ike::unique_policy_name(p.unique));
  j["fragmentation"] = p.fragmentation;
  j["fragment_size_bytes"] = p.fragment_size;
  Json pools = Json::array();
  for (const auto& pool : p.pools)
    pools.push_back(pool.to_string());
  j["pools"] = std::move(pools);
  j["dns"] = address_list_json(p.dns);
  j["request_vips"] = address_list_json(p.request_vips);
  Json c;
  c["name"] = p.child.name;
  c["esp_proposals"] = proposals(p.child.esp_proposals);
  c["local_ts"] = ts_list_json(p.child.local_ts);
  c["remote_ts"] = ts_list_json(p.child.remote_ts);
  c["mode"] = std::string(ike::child_mode_name(p.child.mode));
  c["rekey_time_s"] = seconds_or_null(p.child.lifetimes.rekey_time);
  c["life_time_s"] = seconds_or_null(p.child.lifetimes.life_time);
  j["child"] = std::move(c);
  return j;
}

Json stats_json(const ike::Stats& s) {
  Json j;
  j["ike_messages_in"] = s.datagrams_received;
  j["ike_messages_out"] = s.datagrams_sent;
  j["retransmissions"] = s.retransmissions;
  j["retransmits_answered"] = s.retransmits_answered;
  j["ike_sas_established"] = s.ike_sas_established;
  j["child_sas_established"] = s.child_sas_established;
  j["failures"] = s.failures;
  j["cookies_sent"] = s.cookies_sent;
  j["fragments_sent"] = s.fragments_sent;
  j["fragments_received"] = s.fragments_received;
  j["nat_keepalives_sent"] = s.nat_keepalives_sent;
  j["nat_keepalives_received"] = s.nat_keepalives_received;
  j["peer_moves"] = s.peer_moves;
  j["mobike_updates_sent"] = s.mobike_updates_sent;
  j["mobike_updates_received"] = s.mobike_updates_received;
  j["spare_key_exchanges_made"] = s.spare_key_exchanges_made;
  j["spare_key_exchanges_used"] = s.spare_key_exchanges_used;
  j["spare_key_exchanges_failed"] = s.spare_key_exchanges_failed;
  j["dropped_total"] = s.dropped_total();
  Json d = Json::object();
  for (size_t r = 0; r < size_t(ike::DropReason::kCount); ++r)
    d[std::string(ike::drop_reason_name(ike::DropReason(r)))] = s.dropped[r];
  j["dropped"] = std::move(d);
  return j;
}

Json sas_by_state_json(const std::vector<ike::IkeSaInfo>& sas) {
  Json j = Json::object();
  for (int s = 0; s <= int(ike::IkeSaState::dead); ++s) {
    auto st = ike::IkeSaState(s);
    j[std::string(ike::ike_sa_state_name(st))] = std::count_if(
        sas.begin(), sas.end(), [&](const ike::IkeSaInfo& i) { return i.state == st; });
  }
  return j;
}

Json listening_json(const ike::Config& config) {
  std::vector<std::string> out;
  auto add = [&](std::string s) {
    if (std::find(out.begin(), out.end(), s) == out.end()) out.push_back(std::move(s));
  };
  for (const auto& p : config.peers) {
    add(p.local.to_string());
    add(ike::Endpoint{p.local.address, config.nat_t_port}.to_string());
  }
  return out;
}

} // namespace ikekit::json
