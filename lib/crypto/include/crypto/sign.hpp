// Signatures for IKEv2 certificate authentication (RFC 7296 2.15 and 3.8, RFC 4754,
// RFC 7427, RFC 8420): private keys from PEM, public keys from SubjectPublicKeyInfo,
// AUTH payload data for the classic methods and for Digital Signature (method 14),
// and the SIGNATURE_HASH_ALGORITHMS negotiation helpers.
//
// No OpenSSL type appears here: keys are opaque handles (DESIGN 2, crypto is the only
// layer that includes OpenSSL).
#pragma once

#include "base/bytes.hpp"
#include "base/result.hpp"
#include "base/secret_file.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ikekit::crypto {

namespace detail {
struct PublicKeyAccess; // lib/crypto's own: a certificate's key without a DER round trip
}

enum class KeyType : uint8_t { rsa, ecdsa_p256, ecdsa_p384, ecdsa_p521, ed25519 };
std::string_view key_type_name(KeyType type); // "rsa", "ecdsa-p256", ..., "ed25519"

// IKEv2 Authentication Method values (RFC 7296 3.8, RFC 4754 8, RFC 7427 3).
namespace auth_method {
inline constexpr uint8_t rsa_digital_signature = 1;
inline constexpr uint8_t ecdsa_sha256_p256 = 9;
inline constexpr uint8_t ecdsa_sha384_p384 = 10;
inline constexpr uint8_t ecdsa_sha512_p521 = 11;
inline constexpr uint8_t digital_signature = 14;
} // namespace auth_method

// Hash algorithm identifiers of the SIGNATURE_HASH_ALGORITHMS notify (RFC 7427 4,
// RFC 8420 2 for identity).
enum class SigHash : uint16_t { sha1 = 1, sha2_256 = 2, sha2_384 = 3, sha2_512 = 4, identity = 5 };
std::string_view sig_hash_name(SigHash hash); // "sha1", "sha2_256", ..., "identity"

// One way of producing AUTH data: a classic method (1, 9, 10, 11) or method 14 with
// one AlgorithmIdentifier (RFC 7427 3).
enum class AuthScheme : uint8_t {
  rsa_sig,           // method 1: RSASSA-PKCS1-v1_5 with SHA-1 (RFC 7296 3.8)
  ecdsa_sha256_p256, // method 9:  r||s, 64 octets  (RFC 4754 7)
  ecdsa_sha384_p384, // method 10: r||s, 96 octets
  ecdsa_sha512_p521, // method 11: r||s, 132 octets
  // method 14 (RFC 7427 3); the AlgorithmIdentifier names the scheme
  sig_rsa_sha1,       // sha1WithRSAEncryption     (RFC 7427 A.1.1), verify only by default
  sig_rsa_sha256,     // sha256WithRSAEncryption   (RFC 7427 A.1.2)
  sig_rsa_sha384,     // sha384WithRSAEncryption
  sig_rsa_sha512,     // sha512WithRSAEncryption
  sig_rsa_pss_sha256, // RSASSA-PSS, SHA-256, MGF1-SHA-256, salt 32 (RFC 7427 A.4.3, RFC 4055)
  sig_rsa_pss_sha384, // RSASSA-PSS, SHA-384, MGF1-SHA-384, salt 48
  sig_rsa_pss_sha512, // RSASSA-PSS, SHA-512, MGF1-SHA-512, salt 64
  sig_ecdsa_sha256,   // ecdsa-with-SHA256 (RFC 7427 A.3.1), DER ECDSA-Sig-Value
  sig_ecdsa_sha384,   // ecdsa-with-SHA384 (RFC 7427 A.3.2)
  sig_ecdsa_sha512,   // ecdsa-with-SHA512 (RFC 7427 A.3.3)
  sig_ed25519,        // id-Ed25519, PureEdDSA over the signed octets (RFC 8420 2)
};

// "rsa-sig", "ecdsa-sha256-p256", ..., "rsa-pss-sha256", "ecdsa-sha384", "ed25519".
std::string_view auth_scheme_name(AuthScheme scheme);
uint8_t auth_method_of(AuthScheme scheme); // 1, 9, 10, 11 or 14
// The hash the scheme announces in SIGNATURE_HASH_ALGORITHMS; nullopt for classic methods.
std::optional<SigHash> sig_hash_of(AuthScheme scheme);
// The digest the signature is computed over: sha1 for rsa-sig (method 1) and rsa-sha1,
// identity for Ed25519 (PureEdDSA).
SigHash digest_of(AuthScheme scheme);
// DER AlgorithmIdentifier carried in method 14 AUTH data; empty for classic methods.
ByteView algorithm_identifier(AuthScheme scheme);
// Whether a key of `type` may produce/verify `scheme` (e.g. no RSA-PSS for an ECDSA key).
bool scheme_allowed_for(AuthScheme scheme, KeyType type);
// Maps a peer's AlgorithmIdentifier (method 14) to a scheme. Accepts our DER encodings
// and the variants other implementations send: RSASSA-PSS with an explicit default
// trailerField (as printed in RFC 7427 A.4.3) and sha*WithRSAEncryption without NULL.
Result<AuthScheme> parse_algorithm_identifier(ByteView der);

class PublicKey {
public:
  // DER SubjectPublicKeyInfo (RFC 5280 4.1.2.7); RSA, EC P-256/384/521, Ed25519.
  static Result<PublicKey> from_spki_der(ByteView der);
  static Result<PublicKey> from_pem(std::string_view pem); // "-----BEGIN PUBLIC KEY-----"

  KeyType type() const;
  size_t bits() const;    // modulus or field size
  Bytes spki_der() const; // DER SubjectPublicKeyInfo
  // SHA-1 of the DER SubjectPublicKeyInfo: one "Certification Authority" entry of a
  // CERTREQ payload when this is a trust anchor's key (RFC 7296 3.7).
  Bytes spki_sha1() const;
  // SHA-1 of the subjectPublicKey BIT STRING contents: the usual subjectKeyIdentifier
  // (RFC 5280 4.2.1.2 method 1) and strongSwan's key id.
  Bytes public_key_sha1() const;
  bool equals(const PublicKey& other) const;

  struct Impl; // defined in crypto/public_key_impl.hpp (lib/crypto only)
  const Impl& impl() const { return *impl_; }

private:
  friend class PrivateKey;
  friend struct detail::PublicKeyAccess;
  explicit PublicKey(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<const Impl> impl_;
};

// A private key. OpenSSL holds the key material and clears it when the key is freed;
// PEM text read from a file is cleansed after parsing. Move-only.
class PrivateKey {
public:
  // PKCS#8 "PRIVATE KEY" or traditional "RSA PRIVATE KEY" / "EC PRIVATE KEY".
  // Encrypted keys are refused (no passphrase prompt, ever).
  static Result<PrivateKey> load_pem(std::string_view pem);
  // Reads the file with read_secret_file (base/secret_file.hpp): by default a symlink,
  // a file others may read or a foreign owner is refused (Errc::usage, naming the path).
  static Result<PrivateKey> load_pem_file(const std::string& path,
                                          SecretAccess access = SecretAccess::owner_only);

  PrivateKey(PrivateKey&&) noexcept;
  PrivateKey& operator=(PrivateKey&&) noexcept;
  ~PrivateKey();

  KeyType type() const;
  PublicKey public_key() const;
  bool matches(const PublicKey& key) const; // e.g. our key against our certificate

  // The AUTH payload's Authentication Data for `scheme` over the signed octets
  // (RFC 7296 2.15: InitiatorSignedOctets / ResponderSignedOctets). For method 14 it is
  // the 1-octet AlgorithmIdentifier length, the AlgorithmIdentifier and the signature
  // (RFC 7427 3). Errc::bad_value when the scheme does not fit the key.
  Result<Bytes> sign_auth(AuthScheme scheme, ByteView signed_octets) const;

  struct Impl;

private:
  explicit PrivateKey(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Verifies the peer's AUTH payload (method + Authentication Data) over the signed
// octets with the key from the peer's certificate. Method 14: the AlgorithmIdentifier
// is parsed and must be allowed for the key type. Returns the scheme that verified,
// so the caller can check it against its policy (e.g. the hashes it announced).
// Errors: Errc::integrity ("signature does not verify", "algorithm rsa-pss-sha256 not
// allowed for an ecdsa-p256 key", wrong r||s length), Errc::unsupported for unknown
// methods or AlgorithmIdentifiers, Errc::truncated for short AUTH data.
Result<AuthScheme> verify_auth(const PublicKey& key, uint8_t auth_method, ByteView auth_data,
                               ByteView signed_octets);

// --- SIGNATURE_HASH_ALGORITHMS (RFC 7427 4) ---------------------------------------

// What we announce: SHA2-256, SHA2-384, SHA2-512, Identity (SHA-1 is not announced).
std::span<const SigHash> supported_sig_hashes();
// Notify data: a list of 16-bit hash algorithm identifiers.
Bytes encode_sig_hash_list(std::span<const SigHash> hashes);
// Parses the peer's notify data; unknown identifiers are kept (they are ignored later).
Result<std::vector<uint16_t>> parse_sig_hash_list(ByteView notify_data);

// The scheme to sign with. `peer_hashes` is the peer's SIGNATURE_HASH_ALGORITHMS list,
// or nullopt when the peer sent none (then the classic method for the key: 1 for RSA,
// 9/10/11 for ECDSA by curve; Ed25519 has none and fails with Errc::unsupported).
// With a list: method 14 with the first of SHA2-256/384/512 the peer supports (ECDSA
// prefers the hash matching its curve), Ed25519 needs Identity; RSA uses PKCS#1 v1.5
// unless prefer_rsa_pss. No common hash: the classic method (RFC 7427 4 allows it).
Result<AuthScheme> default_auth_scheme(KeyType key,
                                       const std::optional<std::vector<uint16_t>>& peer_hashes,
                                       bool prefer_rsa_pss = false);

} // namespace ikekit::crypto
