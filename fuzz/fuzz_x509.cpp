// Fuzz target for X.509 in IKEv2 certificate authentication (lib/crypto/x509): what a
// peer's CERT payloads and ID payload reach. Certificates from DER (CERT encoding 4,
// RFC 7296 3.6) or PEM, every accessor the engine and ike-decode read, the identity
// match (RFC 7296 3.5, RFC 4945 3.1) and chain validation up to the committed test
// PKI's roots (tests/data/pki) with the peer's intermediates.
//
// Input:
//   flags:u8        bit 0: PEM text instead of DER; bit 1: validation time from input
//   id_type:u8 id_len:u8 id[id_len]      the peer's ID payload (type and data)
//   [time:u32]      seconds since 1970 (flag bit 1); else a time the PKI is valid at
//   DER: (len:u16 der[len])*   end entity first, then the intermediates (at most 8)
//   PEM: the rest of the input, every certificate in it (the first is the end entity)
// Invariants: nothing crashes; a chain that verifies starts with the end entity and
// ends with one of our trust anchors.
#include "crypto/x509.hpp"
#include "fuzz_input.hpp"

#include <cstddef>
#include <cstdint>
#include <vector>

using namespace ikekit;
using namespace ikekit::crypto;
using ikekit::fuzz::Input;

namespace {

struct Pki {
  CertStore store;
  std::time_t valid_at = 0;
  Pki() {
    for (const char* ca : {"ca-rsa.crt", "ca-p256.crt", "ca-p384.crt", "ca-ed25519.crt"}) {
      auto c = Certificate::from_pem(fuzz::pki_file(ca));
      IKEKIT_FUZZ_CHECK(c && store.add_trust_anchor(*c));
    }
    auto ee = Certificate::from_pem(fuzz::pki_file("ee-p256.crt"));
    IKEKIT_FUZZ_CHECK(ee.has_value());
    valid_at = ee->not_before_time() + 86400;
  }
};

const Pki& pki() {
  static const Pki p;
  return p;
}

// Everything the engine, the events and ike-decode read from a peer's certificate.
void touch(const Certificate& c) {
  (void)c.subject();
  (void)c.subject_der();
  (void)c.issuer();
  (void)c.issuer_der();
  (void)c.serial_hex();
  (void)c.not_before();
  (void)c.not_after();
  (void)c.is_ca();
  for (const auto& san : c.subject_alt_names())
    (void)san_kind_name(san.kind);
  (void)c.common_name();
  (void)c.spki_sha1();
  (void)c.public_key_sha1();
  (void)c.subject_key_id();
  if (auto key = c.public_key()) {
    (void)key->bits();
    (void)key->spki_sha1();
    (void)key->public_key_sha1();
    (void)key_type_name(key->type());
  }
}

std::vector<Certificate> read_der_chain(Input& in) {
  std::vector<Certificate> certs;
  while (!in.empty() && certs.size() < 8) {
    ByteView der = in.chunk16();
    if (auto c = Certificate::from_der(der)) {
      IKEKIT_FUZZ_CHECK(equal_bytes(c->der(), der)); // CERT data is kept as received
      certs.push_back(std::move(*c));
    }
  }
  return certs;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const Pki& p = pki();
  Input in(data, size);
  uint8_t flags = in.u8();
  uint8_t id_type = in.u8();
  ByteView id = in.take(in.u8());
  std::time_t at = flags & 2 ? std::time_t(in.u32()) : p.valid_at;

  std::vector<Certificate> certs;
  if (flags & 1) {
    auto all = Certificate::all_from_pem(fuzz::as_text(in.rest()));
    if (all) certs = std::move(*all);
  } else {
    certs = read_der_chain(in);
  }
  for (const auto& c : certs)
    touch(c);
  if (certs.empty()) return 0;

  const Certificate& ee = certs.front();
  (void)match_identity(ee, id_type, id);
  (void)p.store.find_by_spki_sha1(id);
  auto path = p.store.verify(ee, std::span(certs).subspan(1), at);
  if (path) {
    IKEKIT_FUZZ_CHECK(!path->empty());
    IKEKIT_FUZZ_CHECK(equal_bytes(path->front().der(), ee.der()));
    const auto& anchors = p.store.anchors();
    IKEKIT_FUZZ_CHECK(std::any_of(anchors.begin(), anchors.end(), [&](const Certificate& a) {
      return equal_bytes(a.der(), path->back().der());
    }));
  }
  return 0;
}
