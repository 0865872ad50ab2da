// A PSK connection between two literal addresses on port 500, for the io tests that
// run real engines (engine workers, the dispatcher, XFRM mapping reports).
#pragma once

#include "ike/config.hpp"
#include "ip_literal.hpp"

#include <string_view>

namespace ikekit::test {

inline ike::PeerConfig psk_peer(const char* name, const char* local, const char* remote,
                                std::string_view psk) {
  ike::PeerConfig p;
  p.name = name;
  p.local = ike::Endpoint{ip(local), 500};
  p.remote_address = ip(remote);
  p.ike_proposals = *ike::parse_ike_proposals("aes128gcm16-prfsha256-x25519");
  p.child.esp_proposals = *ike::parse_esp_proposals("aes128gcm16");
  p.local_id = *ike::Identity::parse(local);
  p.remote_id = *ike::Identity::parse(remote);
  p.psk = SecretBytes(as_bytes(psk));
  p.unique = ike::UniquePolicy::never;
  return p;
}

} // namespace ikekit::test
