// The "profile" command's facts (server side) and their parsing (ikectl side).
#include "base/base64.hpp"
#include "ctl/profile.hpp"

#include <algorithm>

namespace ikekit::ctl {

namespace {

// The trust anchor that issued the last certificate of our chain: among our CAs, or the
// chain's own root when we send it. nullopt when we do not hold it (ikectl --ca then).
std::optional<std::string> issuing_ca_pem(const ike::PeerConfig& p) {
  if (p.local_certs.empty()) return std::nullopt;
  const auto& top = p.local_certs.back();
  if (p.cas)
    for (const auto& a : p.cas->anchors())
      if (a.subject_der() == top.issuer_der()) return to_pem(a.der(), "CERTIFICATE");
  if (top.is_ca() && top.subject_der() == top.issuer_der()) return to_pem(top.der(), "CERTIFICATE");
  return std::nullopt;
}

Json strings(const std::vector<std::string>& v) { return Json(v); }

Result<std::string> get_string(const Json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_string())
    return make_error(Errc::bad_value, std::string("result.") + key, "expected a string");
  return it->get<std::string>();
}

Result<std::vector<std::string>> get_strings(const Json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_array())
    return make_error(Errc::bad_value, std::string("result.") + key, "expected an array");
  std::vector<std::string> out;
  for (const auto& s : *it) {
    if (!s.is_string())
      return make_error(Errc::bad_value, std::string("result.") + key, "expected strings");
    out.push_back(s.get<std::string>());
  }
  return out;
}

} // namespace

Json profile_facts_json(const ike::PeerConfig& p) {
  Json j;
  j["conn"] = p.name;
  j["server_address"] = p.local.address.to_string();
  j["port"] = p.local.port;
  j["server_id"] = p.local_id.to_string();
  std::string type(wire::id_type_name(p.local_id.type)); // "ID_FQDN" -> "fqdn"
  if (type.rfind("ID_", 0) == 0) type.erase(0, 3);
  std::transform(type.begin(), type.end(), type.begin(),
                 [](char c) { return char(std::tolower(c)); });
  j["server_id_type"] = type;
  j["server_auth"] = std::string(ike::auth_method_kind_name(p.local_auth));
  j["client_auth"] = std::string(ike::auth_method_kind_name(p.remote_auth));
  Json certs = Json::array();
  for (const auto& c : p.local_certs)
    certs.push_back(to_pem(c.der(), "CERTIFICATE"));
  j["server_certs_pem"] = std::move(certs);
  auto ca = issuing_ca_pem(p);
  j["ca_pem"] = ca ? Json(*ca) : Json();
  std::vector<std::string> ike, esp, ts, pools, dns;
  for (const auto& x : p.ike_proposals)
    ike.push_back(ike::proposal_string(x));
  for (const auto& x : p.child.esp_proposals)
    esp.push_back(ike::proposal_string(x));
  for (const auto& t : p.child.local_ts)
    ts.push_back(t.to_string());
  for (const auto& x : p.pools)
    pools.push_back(x.to_string());
  for (const auto& x : p.dns)
    dns.push_back(x.to_string());
  j["ike_proposals"] = strings(ike);
  j["esp_proposals"] = strings(esp);
  j["child"] = p.child.name;
  j["server_ts"] = strings(ts);
  j["pools"] = strings(pools);
  j["dns"] = strings(dns);
  return j;
}

Result<ProfileFacts> parse_profile_facts(const Json& j) {
  if (!j.is_object()) return make_error(Errc::bad_value, "result", "expected an object");
  ProfileFacts f;
  struct S {
    const char* key;
    std::string* out;
  };
  for (auto [key, out] :
       {S{"conn", &f.conn}, S{"server_address", &f.server_address}, S{"server_id", &f.server_id},
        S{"server_id_type", &f.server_id_type}, S{"server_auth", &f.server_auth},
        S{"client_auth", &f.client_auth}, S{"child", &f.child}}) {
    auto v = get_string(j, key);
    if (!v) return v.error();
    *out = std::move(*v);
  }
  struct L {
    const char* key;
    std::vector<std::string>* out;
  };
  for (auto [key, out] :
       {L{"server_certs_pem", &f.server_certs_pem}, L{"ike_proposals", &f.ike_proposals},
        L{"esp_proposals", &f.esp_proposals}, L{"server_ts", &f.server_ts}, L{"pools", &f.pools},
        L{"dns", &f.dns}}) {
    auto v = get_strings(j, key);
    if (!v) return v.error();
    *out = std::move(*v);
  }
  auto port = j.find("port");
  if (port == j.end() || !port->is_number_unsigned() || port->get<uint64_t>() > 65535)
    return make_error(Errc::bad_value, "result.port", "expected a UDP port");
  f.port = port->get<uint16_t>();
  auto ca = j.find("ca_pem");
  if (ca != j.end() && ca->is_string()) f.ca_pem = ca->get<std::string>();
  return f;
}

} // namespace ikekit::ctl
