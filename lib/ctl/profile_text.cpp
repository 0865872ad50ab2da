// The profile formats other than Apple's: the strongSwan Android app's JSON (sswan),
// a Windows PowerShell script, a swanctl.conf client connection and an ike-up --config
// client connection.
#include "base/base64.hpp"
#include "base/ip_address.hpp"
#include "profile_algorithms.hpp"
#include "profile_common.hpp"

namespace ikekit::ctl {

namespace {

std::string join(const std::vector<std::string>& v, std::string_view sep) {
  std::string s;
  for (const auto& x : v)
    s += (s.empty() ? "" : std::string(sep)) + x;
  return s;
}

// PowerShell single-quoted string: '' stands for '.
std::string ps_quote(std::string_view s) {
  std::string out = "'";
  for (char c : s)
    out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

// strongswan.conf syntax: a double-quoted string with \" and \\ escaped.
std::string swan_quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

Error no_password(std::string_view format, std::string_view why) {
  return make_error(Errc::unsupported, "--include-password",
                    std::string(format) + " profiles carry no password: " + std::string(why));
}

// The virtual IPs a client asks for: one of each family the server has a pool of.
std::vector<std::string> vips(const ProfileFacts& f) {
  bool v4 = false, v6 = false;
  for (const auto& p : f.pools)
    (p.find(':') == std::string::npos ? v4 : v6) = true;
  std::vector<std::string> out;
  if (v4) out.push_back("0.0.0.0");
  if (v6) out.push_back("::");
  return out;
}

} // namespace

// docs.strongswan.org "VPN Profile Import for the Android VPN Client": uuid, name, type,
// remote.addr/port/id/cert (the CA, base64 DER), local.eap_id, ike-proposal, esp-proposal.
Result<std::string> write_sswan(const ClientSide& c, const ProfileOptions& o) {
  if (o.password) return no_password("sswan", "the app asks for the EAP password itself");
  Json j;
  j["uuid"] = name_uuid("org.ikekit.profile." + c.facts.conn + "." + o.user);
  j["name"] = c.facts.conn;
  j["type"] = "ikev2-eap";
  Json remote{
      {"addr", c.remote_address}, {"id", c.facts.server_id}, {"cert", to_base64(c.ca.der())}};
  if (c.facts.port != 500) remote["port"] = c.facts.port;
  j["remote"] = std::move(remote);
  j["local"] = Json{{"eap_id", o.user}};
  // The app takes one proposal each; it runs strongSwan, so the server's own syntax.
  if (!c.facts.ike_proposals.empty()) j["ike-proposal"] = c.facts.ike_proposals.front();
  if (!c.facts.esp_proposals.empty()) j["esp-proposal"] = c.facts.esp_proposals.front();
  return j.dump(2) + "\n";
}

// Add-VpnConnection (-TunnelType Ikev2 -AuthenticationMethod Eap: EAP-MSCHAPv2, Windows'
// default EAP configuration) and Set-VpnConnectionIPsecConfiguration.
Result<std::string> write_powershell(const ClientSide& c, const ProfileOptions& o) {
  if (o.password)
    return no_password("powershell", "Windows asks for the EAP password at the first connect");
  auto ike = pick_ike(Platform::windows, c.facts.ike_proposals);
  if (!ike) return ike.error();
  auto esp = pick_esp(Platform::windows, c.facts.esp_proposals);
  if (!esp) return esp.error();
  const std::string name = ps_quote(c.facts.conn);
  std::string s;
  s += "# Windows IKEv2 VPN connection " + name + " for " + ps_quote(o.user) +
       " (ikectl profile).\n";
  s += "# Run in an elevated PowerShell. Windows checks that the server's certificate names\n";
  s += "# the -ServerAddress (subjectAltName) and asks for the EAP password when connecting.\n";
  s += "$ErrorActionPreference = 'Stop'\n";
  s += "$CaPem = @'\n" + to_pem(c.ca.der(), "CERTIFICATE") + "'@\n";
  s += "$CaFile = Join-Path $env:TEMP " + ps_quote(c.facts.conn + "-ca.cer") + "\n";
  s += "Set-Content -Path $CaFile -Value $CaPem -Encoding Ascii\n";
  s += "Import-Certificate -FilePath $CaFile -CertStoreLocation 'Cert:\\LocalMachine\\Root' | "
       "Out-Null\n";
  s += "Add-VpnConnection -Name " + name + " -ServerAddress " + ps_quote(c.remote_address) +
       " -TunnelType Ikev2 -AuthenticationMethod Eap -EncryptionLevel Required"
       " -RememberCredential -Force\n";
  s += "Set-VpnConnectionIPsecConfiguration -ConnectionName " + name + " -EncryptionMethod " +
       ike->encr + " -IntegrityCheckMethod " + ike->integ + " -DHGroup " + ike->group +
       " -CipherTransformConstants " + esp->encr + " -AuthenticationTransformConstants " +
       esp->integ + " -PfsGroup " + (esp->group.empty() ? "None" : esp->group) + " -Force\n";
  s += "# Connect: rasdial " + name + " " + ps_quote(o.user) + " *\n";
  return s;
}

// swanctl.conf(5): connections.<conn> with local EAP, remote pubkey and the CA file.
Result<std::string> write_swanctl(const ClientSide& c, const ProfileOptions& o) {
  if (o.ca_file.empty())
    return make_error(Errc::usage, "--ca-out", "missing: where the CA certificate is written");
  std::string s = "# strongSwan client for connection " + c.facts.conn + " (ikectl profile)\n";
  s += "connections {\n  " + c.facts.conn + " {\n    version = 2\n";
  s += "    remote_addrs = " + c.remote_address + "\n";
  if (c.facts.port != 500) s += "    remote_port = " + std::to_string(c.facts.port) + "\n";
  if (auto v = vips(c.facts); !v.empty()) s += "    vips = " + join(v, ", ") + "\n";
  s += "    proposals = " + join(c.facts.ike_proposals, ", ") + "\n";
  s += "    local {\n      auth = eap-mschapv2\n      id = " + swan_quote(o.user) +
       "\n      eap_id = " + swan_quote(o.user) + "\n    }\n";
  s += "    remote {\n      auth = pubkey\n      id = " + swan_quote(c.facts.server_id) +
       "\n      cacerts = " + swan_quote(o.ca_file) + "\n    }\n";
  s += "    children {\n      " + c.facts.child + " {\n";
  if (!c.facts.server_ts.empty())
    s += "        remote_ts = " + join(c.facts.server_ts, ", ") + "\n";
  s += "        esp_proposals = " + join(c.facts.esp_proposals, ", ") + "\n";
  s += "      }\n    }\n  }\n}\n";
  if (o.password)
    s += "secrets {\n  eap-" + c.facts.conn + " {\n    id = " + swan_quote(o.user) +
         "\n    secret = " + swan_quote(*o.password) + "\n  }\n}\n";
  return s;
}

// ike-up(8) --config: one initiator connection with --local-auth eap-mschapv2.
Result<std::string> write_ike_up(const ClientSide& c, const ProfileOptions& o) {
  if (o.local_address.empty())
    return make_error(Errc::usage, "--local", "missing: the client's own address (ike-up local)");
  if (!IpAddress::parse(c.remote_address))
    return make_error(Errc::usage, "--remote-address",
                      "\"" + c.remote_address + "\": ike-up dials an IPv4 or IPv6 address");
  if (o.ca_file.empty())
    return make_error(Errc::usage, "--ca-out", "missing: where the CA certificate is written");
  if (o.password_file.empty())
    return make_error(Errc::usage, "--password-out", "missing: the eap_password_file to name");
  Json conn;
  conn["name"] = c.facts.conn;
  conn["role"] = "initiator";
  conn["local"] = o.local_address;
  conn["remote"] = c.remote_address;
  if (c.facts.port != 500) conn["port"] = c.facts.port;
  conn["local_auth"] = "eap-mschapv2";
  conn["eap_identity"] = o.user;
  conn["eap_password_file"] = o.password_file;
  conn["local_id"] = o.user;
  conn["remote_id"] = c.facts.server_id;
  conn["ca"] = Json::array({o.ca_file});
  conn["ike_proposal"] = join(c.facts.ike_proposals, ",");
  conn["esp_proposal"] = join(c.facts.esp_proposals, ",");
  conn["remote_ts"] = c.facts.server_ts;
  for (const auto& v : vips(c.facts))
    conn[v == "::" ? "request_vip6" : "request_vip"] = true;
  return Json{{"connections", Json::array({std::move(conn)})}}.dump(2) + "\n";
}

} // namespace ikekit::ctl
