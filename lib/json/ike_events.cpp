#include "json/ike_events.hpp"

#include "base/hex.hpp"
#include "scalars.hpp"

#include "json/payload_json.hpp"
#include <cctype>

namespace ikekit::json {

namespace {

Json secret_hex(const SecretBytes& s) { return s.empty() ? Json() : Json(to_hex(s.reveal())); }

Json lifetimes_json(const ike::Lifetimes& l) {
  return {{"rekey_time_s", seconds_or_null(l.rekey_time)},
          {"life_time_s", seconds_or_null(l.life_time)},
          {"jitter_s", seconds_or_null(l.jitter)}};
}

// Every event line names its SA and connection (null when the SA matched none).
Json head(const char* type, const std::string& time, ike::SaId sa, const std::string& conn) {
  return {{"type", type}, {"time", time}, {"sa", sa}, {"conn", conn.empty() ? Json() : Json(conn)}};
}

struct ToJson {
  const std::string& time;

  Json operator()(const ike::IkeSaUp& e) const {
    Json j = head("ike_sa_up", time, e.sa, e.peer);
    j["initiator"] = e.initiator;
    j["spi_i"] = to_hex_u64(e.spi_i);
    j["spi_r"] = to_hex_u64(e.spi_r);
    j["local"] = endpoint_json(e.local);
    j["remote"] = endpoint_json(e.remote);
    j["nat_t"] = e.nat_t;
    j["transport"] = e.stream ? "tcp" : "udp"; // RFC 9329
    j["nat_local"] = e.nat_local;
    j["nat_remote"] = e.nat_remote;
    j["encap"] = std::string(ike::encap_name(e.encap));
    j["encr"] = keyword(e.encr);
    j["integ"] = keyword(e.integ);
    j["prf"] = keyword(e.prf);
    j["ke"] = keyword(e.ke);
    j["local_id"] = e.local_id.to_string();
    j["remote_id"] = e.remote_id.to_string();
    j["local_auth"] = e.local_auth;
    j["remote_auth"] = e.remote_auth;
    j["eap_method"] = e.eap_method.empty() ? Json() : Json(e.eap_method);
    j["eap_identity"] = e.eap_method.empty() ? Json() : Json(e.eap_identity);
    j["replaces"] = e.replaces;
    return j;
  }
  Json operator()(const ike::ChildSaUp& e) const {
    Json j = head("child_sa_up", time, e.sa, e.peer);
    j["child"] = e.name;
    j["spi_in"] = to_hex_u32(e.spi_in);
    j["spi_out"] = to_hex_u32(e.spi_out);
    j["mode"] = std::string(ike::child_mode_name(e.mode));
    j["udp_encap"] = e.udp_encap;
    j["transport"] = e.stream ? "tcp" : "udp"; // RFC 9329 3.2: ESP in the IKE SA's stream
    j["encap"] = std::string(ike::encap_name(e.encap));
    j["local"] = endpoint_json(e.local);
    j["remote"] = endpoint_json(e.remote);
    j["encr"] = keyword(e.encr);
    j["integ"] = keyword(e.integ);
    j["esn"] = e.esn;
    j["local_ts"] = ts_list_json(e.local_ts);
    j["remote_ts"] = ts_list_json(e.remote_ts);
    j["lifetimes"] = lifetimes_json(e.lifetimes);
    j["rekeyed_spi_in"] = e.rekeyed_spi_in ? Json(to_hex_u32(*e.rekeyed_spi_in)) : Json();
    j["virtual_ips"] = address_list_json(e.virtual_ips);
    j["dns"] = address_list_json(e.dns);
    j["subnets"] = prefix_list_json(e.subnets);
    return j;
  }
  Json operator()(const ike::ChildSaDown& e) const {
    Json j = head("child_sa_down", time, e.sa, e.peer);
    j["child"] = e.name;
    j["spi_in"] = to_hex_u32(e.spi_in);
    j["spi_out"] = to_hex_u32(e.spi_out);
    j["reason"] = std::string(down_reason_name(e.reason));
    return j;
  }
  Json operator()(const ike::IkeSaDown& e) const {
    Json j = head("ike_sa_down", time, e.sa, e.peer);
    j["spi_i"] = to_hex_u64(e.spi_i);
    j["spi_r"] = to_hex_u64(e.spi_r);
    j["reason"] = std::string(down_reason_name(e.reason));
    j["replaced_by"] = e.replaced_by ? Json(e.replaced_by) : Json();
    return j;
  }
  Json operator()(const ike::IkeSaMoved& e) const {
    Json j = head("ike_sa_moved", time, e.sa, e.peer);
    j["old_local"] = endpoint_json(e.old_local);
    j["old_remote"] = endpoint_json(e.old_remote);
    j["local"] = endpoint_json(e.local);
    j["remote"] = endpoint_json(e.remote);
    j["reason"] = std::string(ike::move_reason_name(e.reason));
    j["udp_encap"] = e.udp_encap;
    j["encap"] = std::string(ike::encap_name(e.encap));
    j["nat_local"] = e.nat_local;
    j["nat_remote"] = e.nat_remote;
    return j;
  }
  Json operator()(const ike::IkeSaEncapChanged& e) const {
    Json j = head("ike_sa_encap_changed", time, e.sa, e.peer);
    j["local"] = endpoint_json(e.local);
    j["remote"] = endpoint_json(e.remote);
    j["old_encap"] = std::string(ike::encap_name(e.old_encap));
    j["encap"] = std::string(ike::encap_name(e.encap));
    j["nat_local"] = e.nat_local;
    j["nat_remote"] = e.nat_remote;
    j["udp_encap"] = e.udp_encap;
    return j;
  }
  Json operator()(const ike::IkeSaRekeyed& e) const {
    Json j = head("ike_sa_rekeyed", time, e.sa, e.peer);
    j["old_spi_i"] = to_hex_u64(e.old_spi_i);
    j["old_spi_r"] = to_hex_u64(e.old_spi_r);
    j["new_spi_i"] = to_hex_u64(e.new_spi_i);
    j["new_spi_r"] = to_hex_u64(e.new_spi_r);
    return j;
  }
  Json operator()(const ike::ChildSaRekeyed& e) const {
    Json j = head("child_sa_rekeyed", time, e.sa, e.peer);
    j["child"] = e.name;
    j["old_spi_in"] = to_hex_u32(e.old_spi_in);
    j["old_spi_out"] = to_hex_u32(e.old_spi_out);
    j["new_spi_in"] = to_hex_u32(e.new_spi_in);
    j["new_spi_out"] = to_hex_u32(e.new_spi_out);
    return j;
  }
  Json operator()(const ike::Failure& e) const {
    Json j = head("failure", time, e.sa, e.peer);
    j["exchange"] = exchange_name(e.exchange);
    j["step"] = std::string(failure_step_name(e.step));
    j["reason"] = e.reason;
    j["from_peer"] = e.from_peer;
    j["notify"] = e.notify ? name_or_null(wire::notify_type_name(*e.notify)) : Json();
    j["notify_type"] = e.notify ? Json(uint16_t(*e.notify)) : Json();
    j["offered"] = e.offered;
    j["configured"] = e.configured;
    j["retransmits"] = e.retransmits;
    return j;
  }
  Json operator()(const ike::Lease& e) const {
    Json j = head("lease", time, e.sa, e.peer);
    j["action"] = e.action == ike::LeaseAction::assigned ? "assigned" : "released";
    j["pool"] = e.pool.to_string();
    j["address"] = e.address.to_string();
    j["identity"] = e.identity;
    j["reused"] = e.reused;
    return j;
  }
  Json operator()(const ike::SaKeys&) const { return nullptr; }
  Json operator()(const ike::InputDropped& e) const {
    return {{"type", "input_dropped"},
            {"time", time},
            {"reason", std::string(ike::drop_reason_name(e.reason))},
            {"detail", e.detail}};
  }
};

} // namespace

std::string_view down_reason_name(ike::DownReason r) {
  using R = ike::DownReason;
  switch (r) {
  case R::deleted_by_peer:
    return "deleted by peer";
  case R::deleted_locally:
    return "deleted locally";
  case R::dpd:
    return "dpd";
  case R::retransmit:
    return "retransmit";
  case R::failure:
    return "failure";
  case R::initial_contact:
    return "initial_contact";
  case R::expired:
    return "expired";
  case R::rekeyed:
    return "rekeyed";
  case R::ike_sa_down:
    return "ike_sa_down";
  case R::half_open_timeout:
    return "half-open timeout";
  case R::replaced:
    return "replaced";
  }
  return "";
}

std::string_view failure_step_name(ike::FailureStep s) {
  using S = ike::FailureStep;
  switch (s) {
  case S::proposal:
    return "proposal";
  case S::ke:
    return "ke";
  case S::keys:
    return "keys";
  case S::auth:
    return "auth";
  case S::cert:
    return "cert";
  case S::id:
    return "id";
  case S::ts:
    return "ts";
  case S::retransmit:
    return "retransmit";
  case S::notify:
    return "notify";
  case S::cookie:
    return "cookie";
  case S::config:
    return "config";
  case S::eap:
    return "eap";
  case S::unique:
    return "unique";
  case S::cp:
    return "cp";
  case S::connect:
    return "connect";
  }
  return "";
}

std::string exchange_name(wire::ExchangeType e) {
  std::string name(wire::exchange_type_name(e));
  for (auto& c : name)
    c = char(std::tolower(static_cast<unsigned char>(c)));
  return name;
}

Json endpoint_json(const ike::Endpoint& e) { return e.to_string(); }

Json ts_list_json(const std::vector<ike::TsSpec>& ts) {
  Json out = Json::array();
  for (const auto& t : ts)
    out.push_back(t.to_string());
  return out;
}

Json address_list_json(const std::vector<IpAddress>& addresses) {
  Json out = Json::array();
  for (const auto& a : addresses)
    out.push_back(a.to_string());
  return out;
}

Json prefix_list_json(const std::vector<Prefix>& prefixes) {
  Json out = Json::array();
  for (const auto& p : prefixes)
    out.push_back(p.to_string());
  return out;
}

Json event_to_json(const ike::Event& event, const std::string& time) {
  return std::visit(ToJson{time}, event);
}

std::vector<Json> keylog_lines(const ike::SaKeys& keys) {
  const ike::IkeSaKeys& k = keys.keys;
  return {Json{{"type", "ike_sa"},
               {"spi_i", to_hex_u64(k.spi_i)},
               {"spi_r", to_hex_u64(k.spi_r)},
               {"sk_d", secret_hex(k.sk_d)},
               {"sk_ai", secret_hex(k.sk_ai)},
               {"sk_ar", secret_hex(k.sk_ar)},
               {"sk_ei", secret_hex(k.sk_ei)},
               {"sk_er", secret_hex(k.sk_er)},
               {"sk_pi", secret_hex(k.sk_pi)},
               {"sk_pr", secret_hex(k.sk_pr)},
               {"encr", keyword(k.encr)},
               {"integ", keyword(k.integ)},
               {"prf", keyword(k.prf)},
               {"ke", keyword(k.ke)}}};
}

std::vector<Json> keylog_lines(const ike::ChildSaUp& c) {
  std::vector<Json> out;
  auto line = [&](uint32_t spi, const ike::Endpoint& src, const ike::Endpoint& dst,
                  const SecretBytes& encr, const SecretBytes& integ) {
    return Json{{"type", "child_sa"},
                {"spi", to_hex_u32(spi)},
                {"dst", dst.address.to_string()},
                {"src", src.address.to_string()},
                {"protocol", "esp"},
                {"encr", keyword(c.encr)},
                {"integ", keyword(c.integ)},
                {"encr_key", secret_hex(encr)},
                {"integ_key", secret_hex(integ)}};
  };
  out.push_back(line(c.spi_in, c.remote, c.local, c.encr_in, c.integ_in));
  out.push_back(line(c.spi_out, c.local, c.remote, c.encr_out, c.integ_out));
  return out;
}

} // namespace ikekit::json
