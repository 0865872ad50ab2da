// ike-up's EAP options (ike-up(8) "EAP"): the users file of an EAP-MSCHAPv2 server and
// the password file of a client.
#pragma once

#include "base/result.hpp"
#include "base/secret_bytes.hpp"
#include "ike/eap_backend.hpp"

#include <map>
#include <string>

namespace ikekit::cli {

// --eap-users: one "identity:password" per line (the identity ends at the first ':',
// the password is the rest of the line, UTF-8); empty lines and lines starting with '#'
// are skipped. Read like a PSK file (read_secret_file: 0600/0400, ours or root's, no
// symlink). Errors name `field`, the file and the line number, never a password.
using EapUsers = std::map<std::string, SecretBytes, std::less<>>;
Result<EapUsers> read_eap_users(const std::string& path, const std::string& field);
// An EAP-MSCHAPv2 backend over `users`.
std::shared_ptr<ike::EapServerBackend> eap_users_backend(EapUsers users);

// --eap-password-file: the password, trailing line ends dropped; not empty.
Result<SecretBytes> read_eap_password_file(const std::string& path, const std::string& field);

} // namespace ikekit::cli
