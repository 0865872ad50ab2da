// write_profile: the checks every format needs, then the format's writer.
#include "ctl/profile.hpp"

#include "base/hex.hpp"
#include "crypto/digest.hpp"
#include "profile_common.hpp"

namespace ikekit::ctl {

namespace {

constexpr std::pair<ProfileFormat, std::string_view> kFormats[] = {
    {ProfileFormat::mobileconfig, "mobileconfig"},
    {ProfileFormat::sswan, "sswan"},
    {ProfileFormat::powershell, "powershell"},
    {ProfileFormat::swanctl, "swanctl"},
    {ProfileFormat::ike_up, "ike-up"}};

// Profiles are for the remote-access setup of RFC 7296 2.16: the server authenticates
// with a certificate, the client with EAP (every platform here supports it; a PSK would
// have to be handed to every user).
Result<void> check_remote_access(const ProfileFacts& f) {
  if (f.server_auth != "pubkey")
    return make_error(Errc::unsupported, "result.server_auth",
                      "connection \"" + f.conn + "\" authenticates the server with " +
                          f.server_auth +
                          "; profiles need a server certificate (ike-up --cert) and EAP clients");
  if (f.client_auth != "eap-mschapv2")
    return make_error(Errc::unsupported, "result.client_auth",
                      "connection \"" + f.conn + "\" authenticates clients with " + f.client_auth +
                          "; profiles need EAP clients (ike-up --remote-auth eap-mschapv2)");
  if (f.server_id_type != "fqdn" && f.server_id_type != "ipv4_addr" &&
      f.server_id_type != "ipv6_addr" && f.server_id_type != "rfc822_addr")
    return make_error(Errc::unsupported, "result.server_id",
                      "\"" + f.server_id +
                          "\": clients match an FQDN, an address or an email "
                          "identity (ike-up --local-id)");
  return {};
}

} // namespace

std::optional<ProfileFormat> profile_format_from_name(std::string_view name) {
  for (auto [f, n] : kFormats)
    if (n == name) return f;
  return std::nullopt;
}

std::string_view profile_format_name(ProfileFormat format) {
  for (auto [f, n] : kFormats)
    if (f == format) return n;
  return "unknown";
}

std::string name_uuid(std::string_view name) {
  auto h = crypto::sha256(ByteView(reinterpret_cast<const uint8_t*>(name.data()), name.size()));
  h[6] = uint8_t((h[6] & 0x0f) | 0x80); // version 8 (RFC 9562 5.8)
  h[8] = uint8_t((h[8] & 0x3f) | 0x80); // variant 10
  std::string x = to_hex(ByteView(h.data(), 16));
  return x.substr(0, 8) + "-" + x.substr(8, 4) + "-" + x.substr(12, 4) + "-" + x.substr(16, 4) +
         "-" + x.substr(20);
}

std::string xml_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
    case '&':
      out += "&amp;";
      break;
    case '<':
      out += "&lt;";
      break;
    case '>':
      out += "&gt;";
      break;
    case '"':
      out += "&quot;";
      break;
    default:
      out += c;
    }
  }
  return out;
}

Result<std::string> write_profile(ProfileFormat format, const ProfileFacts& facts,
                                  const ProfileOptions& o) {
  if (auto r = check_remote_access(facts); !r) return r.error();
  if (o.user.empty()) return make_error(Errc::usage, "--user", "missing: the EAP identity");
  const auto& pem = o.ca_pem ? o.ca_pem : facts.ca_pem;
  if (!pem)
    return make_error(Errc::usage, "--ca",
                      "the server does not hold the CA that issued its certificate; give it "
                      "with --ca FILE");
  auto ca = crypto::Certificate::from_pem(*pem);
  if (!ca) return make_error(Errc::usage, "--ca", "the CA certificate: " + ca.error().message);
  ClientSide c{facts, *ca, o.remote_address.empty() ? facts.server_address : o.remote_address};
  switch (format) {
  case ProfileFormat::mobileconfig:
    return write_mobileconfig(c, o);
  case ProfileFormat::sswan:
    return write_sswan(c, o);
  case ProfileFormat::powershell:
    return write_powershell(c, o);
  case ProfileFormat::swanctl:
    return write_swanctl(c, o);
  case ProfileFormat::ike_up:
    return write_ike_up(c, o);
  }
  return make_error(Errc::usage, "--format", "unknown format");
}

} // namespace ikekit::ctl
