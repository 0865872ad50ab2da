// Client profiles for one remote-access connection of a running ike-up (ikectl profile,
// ikectl(8) "PROFILES"): the server side tells the connection's facts over the control
// socket ("profile" command, never a secret); the writers here turn them into what each
// client platform imports. Sans-I/O: facts and options in, the profile's text out.
//
//   mobileconfig  Apple configuration profile (iOS, macOS): com.apple.vpn.managed with
//                 VPNType IKEv2 and a com.apple.security.root payload for the CA
//   sswan         the strongSwan Android app's JSON profile (type ikev2-eap)
//   powershell    Windows: Import-Certificate, Add-VpnConnection (IKEv2, EAP) and
//                 Set-VpnConnectionIPsecConfiguration with Windows' algorithm names
//   swanctl       a swanctl.conf client connection (strongSwan)
//   ike-up        an ike-up --config JSON client connection
//
// A platform whose profile can carry only one algorithm per kind (Apple, Windows) gets
// the first server proposal it can express completely; when none fits, the writer fails
// (Errc::unsupported) naming the proposal, the algorithm and the platform, rather than
// writing a profile that cannot connect.
#pragma once

#include "base/result.hpp"
#include "ctl/protocol.hpp"
#include "ike/config.hpp"

#include <optional>
#include <string>
#include <vector>

namespace ikekit::ctl {

// What the server's "profile" command returns (ikekit-json(7) "ikekit.ctl/1 profile").
struct ProfileFacts {
  std::string conn;
  std::string server_address; // where the server listens ("192.0.2.1")
  uint16_t port = 500;
  std::string server_id;                     // the server's IKE identity, strongSwan text
  std::string server_id_type;                // "fqdn", "ipv4_addr", "ipv6_addr", "rfc822_addr", ...
  std::string server_auth;                   // "pubkey" or "psk"
  std::string client_auth;                   // "eap-mschapv2", "psk" or "pubkey"
  std::vector<std::string> server_certs_pem; // end entity first
  std::optional<std::string> ca_pem;         // the anchor that issued the server's chain
  std::vector<std::string> ike_proposals;    // strongSwan syntax, server order
  std::vector<std::string> esp_proposals;
  std::string child;                   // the Child SA's name
  std::vector<std::string> server_ts;  // the server's local TS: the client's remote TS
  std::vector<std::string> pools, dns; // the configuration payload the server answers
};

// Server side: the facts of one connection (PeerConfig), never the PSK or a private key.
Json profile_facts_json(const ike::PeerConfig& peer);
// Client side: the "profile" result back into facts; Errc::bad_value naming the key.
Result<ProfileFacts> parse_profile_facts(const Json& result);

enum class ProfileFormat : uint8_t { mobileconfig, sswan, powershell, swanctl, ike_up };
// "mobileconfig", ... "ike-up"; nullopt for anything else.
std::optional<ProfileFormat> profile_format_from_name(std::string_view name);
std::string_view profile_format_name(ProfileFormat f);

struct ProfileOptions {
  std::string user;                    // the EAP identity (and the client's IKE identity)
  std::string remote_address;          // what clients dial; empty: the server's listening address
  bool on_demand = false;              // mobileconfig: OnDemandEnabled with a Connect rule
  bool include_all_networks = false;   // mobileconfig: IncludeAllNetworks (always-on tunnel)
  std::optional<std::string> password; // written only when set (--include-password)
  std::string ca_file;                 // swanctl / ike-up: where the CA's PEM is put for them
  std::string password_file;           // ike-up: the eap_password_file it names
  std::string local_address;           // ike-up: the client's own address ("local")
  std::optional<std::string> ca_pem;   // overrides facts.ca_pem (ikectl profile --ca)
};

// The profile's text. Errors: Errc::unsupported (a proposal the platform cannot express,
// a server that does not authenticate with a certificate, a password the format cannot
// carry), Errc::usage (a missing option, field named as the ikectl flag).
Result<std::string> write_profile(ProfileFormat format, const ProfileFacts& facts,
                                  const ProfileOptions& options);

// A name-based UUID (RFC 9562 5.8, version 8, SHA-256 of `name`): the same connection
// and user give the same UUID, so importing a new profile replaces the old one.
std::string name_uuid(std::string_view name);

} // namespace ikekit::ctl
