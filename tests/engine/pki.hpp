// The committed test PKI (tests/data/pki, see its README) as engine configuration:
// certificate connections for the engine tests and the engine fuzzer. A file that
// does not load throws (a broken checkout, not a test result).
#pragma once

#include "../data_dir.hpp"
#include "sim.hpp"

#include <stdexcept>

namespace ikekit::ike::test {

// The checkout's tests/data, found at run time (beside engine_tests and the fuzz targets).
inline std::string pki(const std::string& f) { return ::ikekit::test::data_dir() + "/pki/" + f; }

inline void must(bool ok, const std::string& file) {
  if (!ok) throw std::runtime_error("test PKI: cannot load " + pki(file));
}

inline std::shared_ptr<const crypto::CertStore> store(const std::string& ca) {
  auto s = std::make_shared<crypto::CertStore>();
  must(bool(s->add_file(pki(ca))), ca);
  return s;
}

inline PeerConfig cert_peer(std::string name, std::string_view local, std::string_view remote,
                            const std::string& id, const std::vector<std::string>& certs,
                            const std::string& key, const std::string& ca) {
  auto p = psk_peer(std::move(name), local, remote);
  p.psk = SecretBytes();
  p.local_auth = p.remote_auth = AuthMethodKind::pubkey;
  p.local_id = *Identity::parse(id);
  p.remote_id.reset();
  for (auto& c : certs) {
    auto loaded = crypto::Certificate::load_file(pki(c));
    must(bool(loaded), c);
    for (auto& x : *loaded)
      p.local_certs.push_back(x);
  }
  auto k = crypto::PrivateKey::load_pem_file(pki(key), SecretAccess::shared_ok); // committed 0644
  must(bool(k), key);
  p.private_key = std::make_shared<const crypto::PrivateKey>(std::move(*k));
  p.cas = store(ca);
  return p;
}

// Engine time -> wall clock: `after` past the end entity's notBefore, so that the
// committed certificates are valid whatever the real date.
inline Duration offset_for(TimePoint now, const std::string& cert,
                           std::chrono::hours after = std::chrono::hours(24 * 30)) {
  auto c = crypto::Certificate::load_file(pki(cert));
  must(bool(c), cert);
  auto nb = std::chrono::seconds(c->at(0).not_before_time());
  return std::chrono::duration_cast<Duration>(nb + after) - now.time_since_epoch();
}

} // namespace ikekit::ike::test
