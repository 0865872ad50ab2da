// Certificate and Certificate Request payloads, RFC 7296 3.6 and 3.7.
// | Cert Encoding |                                               |
// +-+-+-+-+-+-+-+-+                                               |
// ~                       Certificate Data                        ~   (CERT)
// ~                    Certification Authority                    ~   (CERTREQ: SHA-1 hashes
//                                                                      of CA public keys, 20 each)
#pragma once

#include "base/bytes.hpp"
#include "base/result.hpp"
#include "wire/ids.hpp"

namespace ikekit::wire {

struct CertPayload {
  CertEncoding encoding = CertEncoding::x509_signature;
  ByteView data;
};

struct CertReqPayload {
  CertEncoding encoding = CertEncoding::x509_signature;
  ByteView authorities; // concatenated 20-byte SHA-1 hashes for X.509 encodings

  size_t hash_count() const { return authorities.size() / 20; }
  ByteView hash(size_t i) const { return authorities.subspan(i * 20, 20); }
};

Result<CertPayload> parse_cert(ByteView body);       // errors: "cert.encoding"
Result<CertReqPayload> parse_certreq(ByteView body); // errors: "certreq.encoding"
void write_body(Writer& w, const CertPayload& p);
void write_body(Writer& w, const CertReqPayload& p);
Result<size_t> serialize(const CertPayload& p, MutBytes out);
Result<size_t> serialize(const CertReqPayload& p, MutBytes out);

} // namespace ikekit::wire
