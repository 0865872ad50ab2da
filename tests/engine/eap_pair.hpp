// EAP-MSCHAPv2 engine pairs for the engine tests (RFC 7296 2.16): the responder (gw,
// sun.ikekit.test) proves itself with its certificate and checks clients against local
// users; the client (home) authenticates with EAP only.
#pragma once

#include "pki.hpp"

#include <map>

namespace ikekit::ike::test {

inline std::shared_ptr<EapServerBackend> users(std::map<std::string, std::string> table) {
  return local_mschapv2_backend([table](std::string_view id) -> std::optional<SecretBytes> {
    auto it = table.find(std::string(id));
    if (it == table.end()) return std::nullopt;
    return SecretBytes(as_bytes(it->second));
  });
}

struct EapPair {
  PeerConfig l = cert_peer("home", "10.0.0.1", "10.0.0.2", "moon.ikekit.test", {"ee-rsa.crt"},
                           "ee-rsa.key", "ca-p256.crt");
  PeerConfig r = cert_peer("gw", "10.0.0.2", "10.0.0.1", "sun.ikekit.test", {"ee-p256.crt"},
                           "ee-p256.key", "ca-rsa.crt");
  Config lc, rc;
  EapPair(std::string identity = "alice", std::string password = "clientPass") {
    l.local_auth = AuthMethodKind::eap_mschapv2;
    l.local_id = *Identity::parse(identity);
    l.private_key.reset();
    l.local_certs.clear();
    l.remote_id = *Identity::parse("sun.ikekit.test");
    l.eap_identity = identity;
    l.eap_password = SecretBytes(as_bytes(password));
    r.remote_auth = AuthMethodKind::eap_mschapv2;
    r.cas.reset();
    r.eap_backend = users({{"alice", "clientPass"}, {"bob", "other"}});
  }
  Pair make(uint64_t seed = 1) {
    lc.peers = {l};
    rc.peers = {r};
    Net probe;
    lc.wall_clock_offset = rc.wall_clock_offset = offset_for(probe.now, "ee-p256.crt");
    return Pair(lc, rc, seed);
  }
};

} // namespace ikekit::ike::test
