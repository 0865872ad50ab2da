// X.509 certificates for IKEv2 certificate authentication (RFC 7296 2.15, 3.6, 3.7;
// RFC 4945 for the PKI profile): loading (PEM, and DER as in CERT payload encoding 4),
// trust anchors, chain validation at a time the caller hands in, and matching the
// peer's IKE identity against the certificate.
#pragma once

#include "base/bytes.hpp"
#include "base/result.hpp"
#include "crypto/sign.hpp"

#include <cstdint>
#include <ctime>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ikekit::crypto {

// IKEv2 Identification types (RFC 7296 3.5) that match_identity understands. Raw
// numbers: crypto does not link wire.
namespace id_type {
inline constexpr uint8_t ipv4_addr = 1;
inline constexpr uint8_t fqdn = 2;
inline constexpr uint8_t rfc822_addr = 3;
inline constexpr uint8_t ipv6_addr = 5;
inline constexpr uint8_t der_asn1_dn = 9;
} // namespace id_type

// extendedKeyUsage purposes (RFC 5280 4.2.1.12) that IKE cares about, as dotted OIDs.
namespace eku {
inline constexpr std::string_view server_auth = "1.3.6.1.5.5.7.3.1";
inline constexpr std::string_view client_auth = "1.3.6.1.5.5.7.3.2";
inline constexpr std::string_view ipsec_ike = "1.3.6.1.5.5.7.3.17"; // RFC 4945 5.1.3.12
// "IP security IKE intermediate": what Windows and macOS IKEv2 clients accept on a
// gateway's certificate besides serverAuth.
inline constexpr std::string_view ike_intermediate = "1.3.6.1.5.5.8.2.2";
} // namespace eku

struct SubjectAltName {
  enum class Kind : uint8_t { dns, email, ip, uri, other };
  Kind kind = Kind::other;
  std::string text; // "moon.example.org", "moon@example.org", "192.0.2.1" / "2001:db8::1"
  Bytes raw;        // IA5String octets, or the 4/16 address octets for ip
};
std::string_view san_kind_name(SubjectAltName::Kind kind); // "dns", "email", "ip", "uri", "other"

// An immutable certificate; copies share the parsed object.
class Certificate {
public:
  static Result<Certificate> from_der(ByteView der);         // CERT encoding 4 (RFC 7296 3.6)
  static Result<Certificate> from_pem(std::string_view pem); // the first certificate
  // Every certificate in a PEM text (a bundle); at least one.
  static Result<std::vector<Certificate>> all_from_pem(std::string_view pem);
  // A file holding PEM certificate(s) or one DER certificate.
  static Result<std::vector<Certificate>> load_file(const std::string& path);

  Bytes der() const;
  std::string subject() const; // "C=CH, O=ikekit test, CN=moon.ikekit.test"
  Bytes subject_der() const;   // DER Name: what ID_DER_ASN1_DN carries (RFC 7296 3.5)
  std::string issuer() const;
  Bytes issuer_der() const;
  std::string serial_hex() const; // lowercase hex of the serial number's magnitude
  std::string not_before() const; // RFC 3339, "2026-11-22T22:02:11Z"
  std::string not_after() const;
  std::time_t not_before_time() const;
  std::time_t not_after_time() const;
  bool is_ca() const; // basicConstraints cA
  bool has_san_extension() const;
  std::vector<SubjectAltName> subject_alt_names() const;
  std::optional<std::string> common_name() const; // last CN in the subject
  Result<PublicKey> public_key() const;           // Errc::unsupported for e.g. DSA keys
  // SHA-1 of the DER SubjectPublicKeyInfo: the CERTREQ "Certification Authority"
  // entry for this certificate as a trust anchor (RFC 7296 3.7).
  Bytes spki_sha1() const;
  // SHA-1 of the subjectPublicKey bits (RFC 5280 4.2.1.2 (1)); a key id.
  Bytes public_key_sha1() const;
  // The subjectKeyIdentifier extension value, if present.
  std::optional<Bytes> subject_key_id() const;
  // The extendedKeyUsage purposes as dotted OIDs (see eku::), nullopt without the
  // extension (then the certificate is not restricted, RFC 5280 4.2.1.12).
  std::optional<std::vector<std::string>> extended_key_usage() const;

  struct Impl; // defined in x509.cpp
  const Impl& impl() const { return *impl_; }

private:
  friend class CertStore; // verify() shares the chain's parsed certificates
  explicit Certificate(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<const Impl> impl_;
};

// The peer's IKE identity must be bound to its certificate (RFC 7296 3.5, RFC 4945
// 3.1): ID_FQDN against dNSName SANs, ID_RFC822_ADDR against rfc822Name SANs,
// ID_IPV4_ADDR / ID_IPV6_ADDR against iPAddress SANs, ID_DER_ASN1_DN equal to the
// subject (DER, else a canonical comparison). FQDN and email compare case-insensitively;
// wildcard SANs are not matched. ID_FQDN falls back to the subject CN only when the
// certificate has no subjectAltName extension at all (legacy certificates).
// Errc::integrity with what the ID was and what the certificate holds;
// Errc::unsupported for other ID types.
Result<void> match_identity(const Certificate& cert, uint8_t id_type, ByteView id_data);

// Trust anchors (CA certificates configured locally) and chain validation.
class CertStore {
public:
  CertStore();
  CertStore(CertStore&&) noexcept;
  CertStore& operator=(CertStore&&) noexcept;
  ~CertStore();

  Result<void> add_trust_anchor(const Certificate& ca);
  Result<void> add_file(const std::string& path); // every certificate in the file
  const std::vector<Certificate>& anchors() const { return anchors_; }

  // CERTREQ Certification Authority data: the concatenated SHA-1 SPKI hashes of the
  // anchors (RFC 7296 3.7).
  Bytes certreq_authorities() const;
  // The anchor a CERTREQ hash names, or nullptr.
  const Certificate* find_by_spki_sha1(ByteView sha1) const;

  // Validates end_entity with the intermediates the peer sent in CERT payloads up to
  // one of our anchors, at time `at` (engines pass their notion of now; nothing here
  // reads a clock). On success returns the path: end entity, intermediates, anchor.
  // The end entity must allow digitalSignature (keyUsage, if present) and, if it has
  // an extendedKeyUsage, list ipsecIKE, serverAuth, clientAuth, IKE intermediate or
  // anyExtendedKeyUsage (RFC 4945 5.1.3.2, 5.1.3.12). Errors (Errc::integrity, field
  // "cert[<depth>]"): expired / not yet valid with the dates, unknown CA with the issuer name, bad
  // signature, key usage. No revocation checking (CRL/OCSP) is done.
  Result<std::vector<Certificate>> verify(const Certificate& end_entity,
                                          std::span<const Certificate> intermediates,
                                          std::time_t at) const;

private:
  struct Store;
  std::unique_ptr<Store> store_;
  std::vector<Certificate> anchors_;
};

} // namespace ikekit::crypto
