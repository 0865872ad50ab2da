// --text: compact human tables for status, list-conns and list-sas (stdout; the JSON
// documents stay the interface for scripts).
#include "client.hpp"

#include <iomanip>
#include <sstream>

namespace ikectl {

namespace {

std::string str(const Json& j) {
  if (j.is_null()) return "-";
  if (j.is_string()) return j.get<std::string>();
  return j.dump();
}

std::string join(const Json& arr, const char* sep = ",") {
  std::string s;
  if (!arr.is_array()) return str(arr);
  for (const auto& v : arr)
    s += (s.empty() ? "" : sep) + str(v);
  return s.empty() ? "-" : s;
}

std::string duration(const Json& seconds) {
  if (!seconds.is_number()) return "-";
  long s = long(seconds.get<double>());
  std::ostringstream o;
  if (s < 0) return "now";
  if (s >= 86400) o << s / 86400 << "d";
  if (s >= 3600) o << (s % 86400) / 3600 << "h";
  if (s >= 60) o << (s % 3600) / 60 << "m";
  o << s % 60 << "s";
  return o.str();
}

// Nonzero entries of a {"name": count} object: "established 2, connecting 1".
std::string counts(const Json& obj) {
  std::string s;
  for (auto it = obj.begin(); it != obj.end(); ++it)
    if (it.value().is_number() && it.value().get<uint64_t>() > 0)
      s += (s.empty() ? "" : ", ") + it.key() + " " + it.value().dump();
  return s.empty() ? "none" : s;
}

// Columns padded to the widest cell.
void table(std::ostream& out, const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> w;
  for (const auto& r : rows)
    for (size_t i = 0; i < r.size(); ++i) {
      if (w.size() <= i) w.push_back(0);
      w[i] = std::max(w[i], r[i].size());
    }
  for (const auto& r : rows) {
    std::string line;
    for (size_t i = 0; i < r.size(); ++i) {
      line += r[i];
      if (i + 1 < r.size()) line += std::string(w[i] - r[i].size() + 2, ' ');
    }
    out << line << "\n";
  }
}

} // namespace

void status_text(const Json& r, std::ostream& out) {
  const Json& c = r["counters"];
  out << str(r["version"]) << "  pid " << str(r["pid"]) << "  up " << duration(r["uptime_s"])
      << "  dataplane " << str(r["dataplane"]) << "\n";
  out << "listening    " << join(r["listening"], " ") << "\n";
  out << "connections  " << str(r["connections"]) << "\n";
  out << "ike sas      " << counts(r["ike_sas"]) << "\n";
  out << "child sas    " << str(r["child_sas"]) << "\n";
  out << "messages     in " << str(c["ike_messages_in"]) << ", out " << str(c["ike_messages_out"])
      << ", retransmissions " << str(c["retransmissions"]) << ", failures " << str(c["failures"])
      << "\n";
  out << "dropped      " << str(c["dropped_total"]);
  if (c["dropped_total"] != 0) out << " (" << counts(c["dropped"]) << ")";
  out << "\n";
  if (!r.contains("radius")) return; // an older ike-up
  for (const auto& [name, x] : r["radius"].items())
    out << "radius       " << name << ": " << str(x["current_server"]) << ", requests "
        << str(x["requests"]) << ", retransmissions " << str(x["retransmissions"]) << ", failovers "
        << str(x["failovers"]) << ", timeouts " << str(x["timeouts"]) << "\n";
}

void list_conns_text(const Json& r, std::ostream& out) {
  std::vector<std::vector<std::string>> rows = {{"NAME", "LOCAL", "REMOTE", "AUTH", "LOCAL_ID",
                                                 "REMOTE_ID", "IKE", "CHILD", "ESP", "LOCAL_TS",
                                                 "REMOTE_TS"}};
  for (const auto& c : r["connections"])
    rows.push_back({str(c["name"]), str(c["local"]), str(c["remote"]),
                    str(c["local_auth"]) + "/" + str(c["remote_auth"]), str(c["local_id"]),
                    str(c["remote_id"]), join(c["ike_proposals"]), str(c["child"]["name"]),
                    join(c["child"]["esp_proposals"]), join(c["child"]["local_ts"]),
                    join(c["child"]["remote_ts"])});
  table(out, rows);
}

namespace {

// "psk/psk", plus " nat:local,remote" for the sides behind a NAT, or " encap:forced"
// for UDP encapsulation we forced without a NAT.
std::string auth_nat(const Json& sa) {
  std::string s = str(sa["local_auth"]) + "/" + str(sa["remote_auth"]);
  std::string nat;
  if (sa["nat_local"] == true) nat = "local";
  if (sa["nat_remote"] == true) nat += (nat.empty() ? "" : ",") + std::string("remote");
  if (!nat.empty()) s += " nat:" + nat;
  if (sa["encap"] == "forced") s += " encap:forced";
  return s;
}

// "in 12p 1008B, out 12p 1008B" or "-" without a data plane.
std::string traffic(const Json& c) {
  if (!c["packets_in"].is_number()) return "-";
  return "in " + str(c["packets_in"]) + "p " + str(c["bytes_in"]) + "B, out " +
         str(c["packets_out"]) + "p " + str(c["bytes_out"]) + "B";
}

} // namespace

void list_sas_text(const Json& r, std::ostream& out) {
  std::vector<std::vector<std::string>> rows = {{"SA", "CONN", "STATE", "ROLE", "LOCAL", "REMOTE",
                                                 "SPI_I", "SPI_R", "ALGORITHMS", "AGE",
                                                 "AUTH/TRAFFIC", "VIP"}};
  for (const auto& sa : r["ike_sas"]) {
    std::string algs = str(sa["encr"]) + (sa["integ"].is_null() ? "" : "-" + str(sa["integ"])) +
                       "-" + str(sa["prf"]) + "-" + str(sa["ke"]);
    rows.push_back({str(sa["sa"]), str(sa["conn"]), str(sa["state"]),
                    sa["initiator"] == true ? "initiator" : "responder", str(sa["local"]),
                    str(sa["remote"]), str(sa["spi_i"]), str(sa["spi_r"]), algs,
                    duration(sa["age_s"]), auth_nat(sa),
                    sa["virtual_ips"].empty() ? "-" : join(sa["virtual_ips"])});
    for (const auto& c : sa["children"])
      rows.push_back({"", "  " + str(c["child"]), str(c["mode"]),
                      c["udp_encap"] == true ? "udp-encap" : "esp", join(c["local_ts"]),
                      join(c["remote_ts"]), "in " + str(c["spi_in"]), "out " + str(c["spi_out"]),
                      str(c["encr"]) + (c["integ"].is_null() ? "" : "-" + str(c["integ"])),
                      duration(c["age_s"]), traffic(c), ""});
  }
  table(out, rows);
}

void list_leases_text(const Json& r, std::ostream& out) {
  std::vector<std::vector<std::string>> rows = {{"POOL", "ADDRESS", "IDENTITY", "STATE"}};
  for (const auto& p : r["pools"]) {
    rows.push_back({str(p["pool"]), "", "",
                    str(p["online"]) + " online, " + str(p["offline"]) + " offline, " +
                        str(p["never_used"]) + " never used of " + str(p["size"])});
    for (const auto& l : p["leases"])
      rows.push_back(
          {"", str(l["address"]), str(l["identity"]), l["online"] == true ? "online" : "offline"});
  }
  table(out, rows);
}

} // namespace ikectl
