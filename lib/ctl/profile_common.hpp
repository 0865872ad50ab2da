// What every profile writer shares (ctl/profile.hpp): the checked facts on the client's
// side, and one function per format.
#pragma once

#include "crypto/x509.hpp"
#include "ctl/profile.hpp"

#include <string>
#include <string_view>

namespace ikekit::ctl {

struct ClientSide {
  const ProfileFacts& facts;
  crypto::Certificate ca;     // the CA that issued the server's certificate
  std::string remote_address; // what the client dials
};

std::string xml_escape(std::string_view s);

Result<std::string> write_mobileconfig(const ClientSide& c, const ProfileOptions& o);
Result<std::string> write_sswan(const ClientSide& c, const ProfileOptions& o);
Result<std::string> write_powershell(const ClientSide& c, const ProfileOptions& o);
Result<std::string> write_swanctl(const ClientSide& c, const ProfileOptions& o);
Result<std::string> write_ike_up(const ClientSide& c, const ProfileOptions& o);

} // namespace ikekit::ctl
