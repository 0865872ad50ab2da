// Base64 (RFC 4648 4) and PEM (RFC 7468) text for what other programs import: the
// certificates in client profiles (Apple <data>, strongSwan's Android profile, PEM files).
#pragma once

#include "base/bytes.hpp"

#include <string>
#include <string_view>

namespace ikekit {

// RFC 4648 4, with '=' padding, on one line.
std::string to_base64(ByteView data);

// RFC 7468 2: "-----BEGIN <label>-----", the base64 in lines of 64, "-----END <label>-----",
// each line ending in '\n'.
std::string to_pem(ByteView der, std::string_view label);

} // namespace ikekit
