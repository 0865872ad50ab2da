// Authentication payload, RFC 7296 3.8.
// | Auth Method   |                RESERVED                       |
// ~                      Authentication Data                      ~
#pragma once

#include "base/bytes.hpp"
#include "base/result.hpp"
#include "wire/ids.hpp"

namespace ikekit::wire {

struct AuthPayload {
  AuthMethod method = AuthMethod::shared_key_message_integrity_code;
  ByteView data;
};

Result<AuthPayload> parse_auth(ByteView body); // errors: "auth.method", "auth.reserved"
void write_body(Writer& w, const AuthPayload& p);
Result<size_t> serialize(const AuthPayload& p, MutBytes out);

} // namespace ikekit::wire
