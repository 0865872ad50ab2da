// ike-up --config: the JSON file ({"connections":[{...}], "natt_port":..., ...}) read
// into IkeUpOptions, field by field, with the same names as the flags ('_' for '-').
// Refused here: a file that is not a JSON object, unknown fields, values of the wrong
// type and a missing or empty "connections"; what the values mean is checked later by
// build_ike_up_setup, for flags and files alike (ike_up_options.cpp).
#include "cli/ike_up_options.hpp"

#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>

namespace ikekit::cli {

namespace {

Result<std::string> read_config_text(const std::string& path, const std::string& field) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(Errc::usage, field, "\"" + path + "\": cannot be read");
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

template <typename T>
Result<void> take(const nlohmann::json& obj, const char* key, T& out, const std::string& field) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return {}; // null: not set, the default applies
  try {
    out = it->get<T>();
  } catch (const nlohmann::json::exception&) {
    return make_error(Errc::usage, field, "has the wrong type: " + it->dump());
  }
  return {};
}

// One field of a connection in a config file: its name, and how it is read into the
// ConnectionOptions member of that name.
struct ConnectionField {
  const char* name;
  Result<void> (*take)(const nlohmann::json& j, ConnectionOptions& c, const std::string& field);
};

#define IKEKIT_FIELD(k)                                                                            \
  ConnectionField {                                                                                \
#k, [](const nlohmann::json& j, ConnectionOptions& c,                                          \
           const std::string& field) { return take(j, #k, c.k, field); }                           \
  }
// Every field a connection may have, in the order they are read (the first bad one is
// reported).
const ConnectionField kConnectionFields[] = {
    IKEKIT_FIELD(name),
    IKEKIT_FIELD(role),
    IKEKIT_FIELD(local),
    IKEKIT_FIELD(remote),
    IKEKIT_FIELD(port),
    IKEKIT_FIELD(psk_file),
    IKEKIT_FIELD(cert),
    IKEKIT_FIELD(key),
    IKEKIT_FIELD(ca),
    IKEKIT_FIELD(local_id),
    IKEKIT_FIELD(remote_id),
    IKEKIT_FIELD(ike_proposal),
    IKEKIT_FIELD(esp_proposal),
    IKEKIT_FIELD(local_ts),
    IKEKIT_FIELD(remote_ts),
    IKEKIT_FIELD(mode),
    IKEKIT_FIELD(rekey_time),
    IKEKIT_FIELD(ike_rekey_time),
    IKEKIT_FIELD(dpd_delay),
    IKEKIT_FIELD(dpd_action),
    IKEKIT_FIELD(force_encap),
    IKEKIT_FIELD(mobike),
    IKEKIT_FIELD(transport),
    IKEKIT_FIELD(tcp_fallback_after),
    IKEKIT_FIELD(fragmentation),
    IKEKIT_FIELD(rsa_pss),
    IKEKIT_FIELD(server_eku),
    IKEKIT_FIELD(local_auth),
    IKEKIT_FIELD(remote_auth),
    IKEKIT_FIELD(eap_users),
    IKEKIT_FIELD(eap_identity),
    IKEKIT_FIELD(eap_password_file),
    IKEKIT_FIELD(radius_server),
    IKEKIT_FIELD(radius_secret_file),
    IKEKIT_FIELD(radius_timeout),
    IKEKIT_FIELD(radius_retries),
    IKEKIT_FIELD(unique),
    IKEKIT_FIELD(pool),
    IKEKIT_FIELD(dns),
    IKEKIT_FIELD(request_vip),
    IKEKIT_FIELD(request_vip6),
};
#undef IKEKIT_FIELD

Result<void> load_connection(const nlohmann::json& j, ConnectionOptions& c,
                             const std::string& prefix) {
  if (!j.is_object()) return make_error(Errc::usage, prefix, "expected an object");
  for (auto it = j.begin(); it != j.end(); ++it) {
    bool known = false;
    for (const ConnectionField& f : kConnectionFields)
      known = known || it.key() == f.name;
    if (!known) return make_error(Errc::usage, prefix + "." + it.key(), "unknown field");
  }
  for (const ConnectionField& f : kConnectionFields)
    if (auto r = f.take(j, c, prefix + "." + f.name); !r) return r;
  return {};
}

} // namespace

Result<void> load_ike_up_config(const std::string& path, IkeUpOptions& opts) {
  auto text = read_config_text(path, "--config");
  if (!text) return text.error();
  auto j = nlohmann::json::parse(*text, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    return make_error(Errc::usage, "--config", "\"" + path + "\": not a JSON object");
  static const char* kKnown[] = {"connections",
                                 "natt_port",
                                 "tcp_port",
                                 "tcp_max_connections",
                                 "tcp_idle_timeout",
                                 "tcp_connect_timeout",
                                 "keylog",
                                 "dataplane",
                                 "retransmit_timeout",
                                 "retransmit_tries",
                                 "nat_keepalive",
                                 "cookie_threshold",
                                 "half_open_limit",
                                 "half_open_limit_per_ip",
                                 "max_message_size",
                                 "max_fragments",
                                 "max_reassembly_bytes",
                                 "allow_sha1_signatures",
                                 "kill_switch",
                                 "allow_lan",
                                 "dns_apply"};
  for (auto it = j.begin(); it != j.end(); ++it) {
    bool known = false;
    for (const char* k : kKnown)
      known = known || it.key() == k;
    if (!known) return make_error(Errc::usage, path + ": " + it.key(), "unknown field");
  }
#define IKEKIT_TAKE(k)                                                                             \
  if (auto r = take(j, #k, opts.k, path + ": " #k); !r) return r
  IKEKIT_TAKE(natt_port);
  IKEKIT_TAKE(tcp_port);
  IKEKIT_TAKE(tcp_max_connections);
  IKEKIT_TAKE(tcp_idle_timeout);
  IKEKIT_TAKE(tcp_connect_timeout);
  IKEKIT_TAKE(keylog);
  IKEKIT_TAKE(dataplane);
  IKEKIT_TAKE(retransmit_timeout);
  IKEKIT_TAKE(retransmit_tries);
  IKEKIT_TAKE(nat_keepalive);
  IKEKIT_TAKE(cookie_threshold);
  IKEKIT_TAKE(half_open_limit);
  IKEKIT_TAKE(half_open_limit_per_ip);
  IKEKIT_TAKE(max_message_size);
  IKEKIT_TAKE(max_fragments);
  IKEKIT_TAKE(max_reassembly_bytes);
  IKEKIT_TAKE(allow_sha1_signatures);
  IKEKIT_TAKE(kill_switch);
  IKEKIT_TAKE(allow_lan);
  IKEKIT_TAKE(dns_apply);
#undef IKEKIT_TAKE
  auto conns = j.find("connections");
  if (conns == j.end() || !conns->is_array() || conns->empty())
    return make_error(Errc::usage, path + ": connections",
                      "expected a non-empty array of connections");
  opts.connections.clear();
  for (size_t i = 0; i < conns->size(); ++i) {
    ConnectionOptions c;
    c.name = "conn" + std::to_string(i);
    if (auto r = load_connection((*conns)[i], c, path + ": connections[" + std::to_string(i) + "]");
        !r)
      return r;
    opts.connections.push_back(std::move(c));
  }
  return {};
}

} // namespace ikekit::cli
