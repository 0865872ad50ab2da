#pragma once
// strongSwan-style proposal keywords for every IANA-assigned IKEv2 transform
// ("3des", "prfmd5", "md5", "modp1536", "aes128gcm16"), including the ones ikekit
// refuses to negotiate, so that what a peer offered reads the way strongSwan users
// write proposals.

#include "wire/payload_sa.hpp"

#include <string>

namespace ikekit::wire {

// The keyword of one transform: strongSwan's own keyword where it has one (the key
// length attribute folded in, e.g. ENCR_AES_CBC/128 -> "aes128"), otherwise the
// IANA name in lower case without its type prefix (ENCR_AES_GCM_16_IIV ->
// "aes_gcm_16_iiv"). "" when the value is unassigned: callers print the number.
std::string transform_keyword(const Transform& t);

// transform_keyword, or "TYPE:id[/keylen]" for unassigned values.
std::string transform_keyword_or_number(const Transform& t);

} // namespace ikekit::wire
