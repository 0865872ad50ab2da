// IKEv2 AUTH signatures: RFC 7296 2.15/3.8, RFC 4754 (classic ECDSA), RFC 7427
// (Digital Signature, method 14), RFC 8420 (Ed25519).
#include "crypto/sign.hpp"

#include "base/hex.hpp"
#include "base/secret_bytes.hpp"
#include "crypto/ossl.hpp"
#include "crypto/public_key_impl.hpp"

#include <algorithm>
#include <array>
#include <cassert>
#include <cstring>
#include <iterator>
#include <openssl/bio.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

namespace ikekit::crypto {
namespace {

using detail::BioPtr;
using detail::key_type_of;
using detail::MdPtr;
using detail::PkeyPtr;
using detail::refuse_passphrase;

struct MdCtxFree {
  void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
};
struct EcdsaSigFree {
  void operator()(ECDSA_SIG* p) const { ECDSA_SIG_free(p); }
};
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;
using EcdsaSigPtr = std::unique_ptr<ECDSA_SIG, EcdsaSigFree>;

// Digests fetched once for the process (DESIGN 3, "fetch EVP objects once").
struct Digests {
  MdPtr sha1{EVP_MD_fetch(nullptr, "SHA1", nullptr)};
  MdPtr sha256{EVP_MD_fetch(nullptr, "SHA256", nullptr)};
  MdPtr sha384{EVP_MD_fetch(nullptr, "SHA384", nullptr)};
  MdPtr sha512{EVP_MD_fetch(nullptr, "SHA512", nullptr)};
};
const Digests& digests() {
  static const Digests d;
  return d;
}
const EVP_MD* md_for(SigHash h) {
  switch (h) {
  case SigHash::sha1:
    return digests().sha1.get();
  case SigHash::sha2_256:
    return digests().sha256.get();
  case SigHash::sha2_384:
    return digests().sha384.get();
  case SigHash::sha2_512:
    return digests().sha512.get();
  case SigHash::identity:
    return nullptr;
  }
  return nullptr;
}

// --- the scheme table -------------------------------------------------------------

// DER AlgorithmIdentifiers (RFC 7427 Appendix A; RFC 4055 for RSASSA-PSS params,
// RFC 8410 for id-Ed25519). Hash AlgorithmIdentifiers inside PSS params carry NULL
// parameters and the default trailerField is omitted, as strongSwan encodes them.
// clang-format off
constexpr uint8_t kSha1WithRsa[]   = {0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x05, 0x05, 0x00};
constexpr uint8_t kSha256WithRsa[] = {0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b, 0x05, 0x00};
constexpr uint8_t kSha384WithRsa[] = {0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0c, 0x05, 0x00};
constexpr uint8_t kSha512WithRsa[] = {0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0d, 0x05, 0x00};
constexpr uint8_t kEcdsaSha256[] = {0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02};
constexpr uint8_t kEcdsaSha384[] = {0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03};
constexpr uint8_t kEcdsaSha512[] = {0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x04};
constexpr uint8_t kEd25519[] = {0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70};
// RSASSA-PSS: h = last octet of the hash OID (1 SHA-256, 2 SHA-384, 3 SHA-512), s = salt.
#define IKEKIT_PSS_ALGID(h, s)                                                                 \
  {0x30, 0x41, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a,               \
   0x30, 0x34,                                                       /* RSASSA-PSS-params */   \
   0xa0, 0x0f, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, h,      \
   0x05, 0x00,                                                       /* [0] hashAlgorithm */   \
   0xa1, 0x1c, 0x30, 0x1a, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x08,   \
   0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, h, 0x05, 0x00,      \
   0xa2, 0x03, 0x02, 0x01, s}                                        /* [2] saltLength */
constexpr uint8_t kRsaPssSha256[] = IKEKIT_PSS_ALGID(0x01, 0x20);
constexpr uint8_t kRsaPssSha384[] = IKEKIT_PSS_ALGID(0x02, 0x30);
constexpr uint8_t kRsaPssSha512[] = IKEKIT_PSS_ALGID(0x03, 0x40);
#undef IKEKIT_PSS_ALGID
// clang-format on

enum class Family : uint8_t { rsa_pkcs1, rsa_pss, ecdsa_raw, ecdsa_der, eddsa };

struct SchemeInfo {
  AuthScheme scheme;
  std::string_view name;
  uint8_t method;
  SigHash hash; // the digest used; identity for EdDSA
  Family family;
  ByteView algid;
  KeyType classic_curve; // ecdsa_raw only: the one curve the method allows
};

const std::array<SchemeInfo, 15>& schemes() {
  using A = AuthScheme;
  using F = Family;
  using H = SigHash;
  using K = KeyType;
  // clang-format off
  static const std::array<SchemeInfo, 15> t = {{
      {A::rsa_sig,            "rsa-sig",            1, H::sha1,     F::rsa_pkcs1, {}, K::rsa},
      {A::ecdsa_sha256_p256,  "ecdsa-sha256-p256",  9, H::sha2_256, F::ecdsa_raw, {}, K::ecdsa_p256},
      {A::ecdsa_sha384_p384,  "ecdsa-sha384-p384", 10, H::sha2_384, F::ecdsa_raw, {}, K::ecdsa_p384},
      {A::ecdsa_sha512_p521,  "ecdsa-sha512-p521", 11, H::sha2_512, F::ecdsa_raw, {}, K::ecdsa_p521},
      {A::sig_rsa_sha1,       "rsa-sha1",       14, H::sha1,     F::rsa_pkcs1, kSha1WithRsa,   K::rsa},
      {A::sig_rsa_sha256,     "rsa-sha256",     14, H::sha2_256, F::rsa_pkcs1, kSha256WithRsa, K::rsa},
      {A::sig_rsa_sha384,     "rsa-sha384",     14, H::sha2_384, F::rsa_pkcs1, kSha384WithRsa, K::rsa},
      {A::sig_rsa_sha512,     "rsa-sha512",     14, H::sha2_512, F::rsa_pkcs1, kSha512WithRsa, K::rsa},
      {A::sig_rsa_pss_sha256, "rsa-pss-sha256", 14, H::sha2_256, F::rsa_pss,   kRsaPssSha256,  K::rsa},
      {A::sig_rsa_pss_sha384, "rsa-pss-sha384", 14, H::sha2_384, F::rsa_pss,   kRsaPssSha384,  K::rsa},
      {A::sig_rsa_pss_sha512, "rsa-pss-sha512", 14, H::sha2_512, F::rsa_pss,   kRsaPssSha512,  K::rsa},
      {A::sig_ecdsa_sha256,   "ecdsa-sha256",   14, H::sha2_256, F::ecdsa_der, kEcdsaSha256,   K::ecdsa_p256},
      {A::sig_ecdsa_sha384,   "ecdsa-sha384",   14, H::sha2_384, F::ecdsa_der, kEcdsaSha384,   K::ecdsa_p384},
      {A::sig_ecdsa_sha512,   "ecdsa-sha512",   14, H::sha2_512, F::ecdsa_der, kEcdsaSha512,   K::ecdsa_p521},
      {A::sig_ed25519,        "ed25519",        14, H::identity, F::eddsa,     kEd25519,       K::ed25519},
  }};
  // clang-format on
  return t;
}

const SchemeInfo& info(AuthScheme s) {
  const SchemeInfo& i = schemes()[static_cast<size_t>(s)];
  assert(i.scheme == s); // the table is in enum order
  return i;
}

bool is_ecdsa(KeyType t) {
  return t == KeyType::ecdsa_p256 || t == KeyType::ecdsa_p384 || t == KeyType::ecdsa_p521;
}
size_t ec_field_octets(KeyType t) { // octets of r and of s (RFC 4754 7)
  return t == KeyType::ecdsa_p256   ? 32
         : t == KeyType::ecdsa_p384 ? 48
         : t == KeyType::ecdsa_p521 ? 66
                                    : 0;
}

std::string method_label(uint8_t method) { return "method " + std::to_string(method); }

std::string not_allowed(const SchemeInfo& s, KeyType key) {
  std::string what = s.method == 14 ? "algorithm " + std::string(s.name)
                                    : method_label(s.method) + " (" + std::string(s.name) + ")";
  std::string_view kt = key_type_name(key);
  bool vowel = !kt.empty() && (kt[0] == 'e' || kt[0] == 'r'); // "an ecdsa", "an rsa", "an ed25519"
  return what + " not allowed for " + (vowel ? "an " : "a ") + std::string(kt) + " key";
}

// Sets up a sign or verify context; returns the EVP_PKEY_CTX for padding options.
bool init_digest_ctx(EVP_MD_CTX* ctx, EVP_PKEY* pkey, const SchemeInfo& s, bool sign) {
  EVP_PKEY_CTX* pctx = nullptr;
  const EVP_MD* md = md_for(s.hash);
  int ok = sign ? EVP_DigestSignInit(ctx, &pctx, md, nullptr, pkey)
                : EVP_DigestVerifyInit(ctx, &pctx, md, nullptr, pkey);
  if (ok != 1) return false;
  if (s.family == Family::rsa_pss) {
    // RFC 7427 A.4.3 / RFC 4055: MGF1 with the same hash, salt length = hash length.
    if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
        EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) != 1 ||
        EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, md) != 1)
      return false;
  } else if (s.family == Family::rsa_pkcs1) {
    if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) != 1) return false;
  }
  return true;
}

// DER ECDSA-Sig-Value -> r||s of fixed size (RFC 4754 7).
Result<Bytes> ecdsa_der_to_raw(ByteView der, size_t n) {
  const unsigned char* p = der.data();
  EcdsaSigPtr sig(d2i_ECDSA_SIG(nullptr, &p, long(der.size())));
  if (!sig) return detail::ossl_error("auth.signature", "ECDSA signature is not DER");
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(sig.get(), &r, &s);
  Bytes out(2 * n);
  if (BN_bn2binpad(r, out.data(), int(n)) < 0 || BN_bn2binpad(s, out.data() + n, int(n)) < 0)
    return detail::ossl_error("auth.signature", "ECDSA r or s does not fit the curve");
  return out;
}

Result<Bytes> ecdsa_raw_to_der(ByteView raw, size_t n) {
  EcdsaSigPtr sig(ECDSA_SIG_new());
  BIGNUM* r = BN_bin2bn(raw.data(), int(n), nullptr);
  BIGNUM* s = BN_bin2bn(raw.data() + n, int(n), nullptr);
  if (!sig || !r || !s || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
    BN_free(r);
    BN_free(s);
    return detail::ossl_error("auth.signature", "building ECDSA-Sig-Value");
  }
  unsigned char* buf = nullptr;
  int len = i2d_ECDSA_SIG(sig.get(), &buf);
  if (len <= 0) return detail::ossl_error("auth.signature", "encoding ECDSA-Sig-Value");
  Bytes out(buf, buf + len);
  OPENSSL_free(buf);
  return out;
}

// A PEM private key: RSA-4096 is about 3.3 KB; anything past this is not one key.
constexpr size_t kMaxPrivateKeyFileBytes = 64 * 1024;

} // namespace

// --- names ----------------------------------------------------------------------

std::string_view key_type_name(KeyType type) {
  static constexpr std::string_view kNames[] = {"rsa", "ecdsa-p256", "ecdsa-p384", "ecdsa-p521",
                                                "ed25519"};
  auto i = static_cast<size_t>(type);
  return i < std::size(kNames) ? kNames[i] : "?";
}

std::string_view sig_hash_name(SigHash hash) {
  static constexpr std::string_view kNames[] = {"sha1", "sha2_256", "sha2_384", "sha2_512",
                                                "identity"};
  auto i = static_cast<size_t>(hash) - 1; // RFC 7427 4 numbers from 1
  return i < std::size(kNames) ? kNames[i] : "?";
}

std::string_view auth_scheme_name(AuthScheme scheme) { return info(scheme).name; }
uint8_t auth_method_of(AuthScheme scheme) { return info(scheme).method; }
std::optional<SigHash> sig_hash_of(AuthScheme scheme) {
  const SchemeInfo& s = info(scheme);
  if (s.method != 14) return std::nullopt;
  return s.hash;
}
SigHash digest_of(AuthScheme scheme) { return info(scheme).hash; }

ByteView algorithm_identifier(AuthScheme scheme) { return info(scheme).algid; }

bool scheme_allowed_for(AuthScheme scheme, KeyType type) {
  const SchemeInfo& s = info(scheme);
  switch (s.family) {
  case Family::rsa_pkcs1:
  case Family::rsa_pss:
    return type == KeyType::rsa;
  case Family::ecdsa_raw:
    return type == s.classic_curve; // RFC 4754: curve and hash fixed
  case Family::ecdsa_der:
    return is_ecdsa(type); // RFC 7427: any hash on any curve
  case Family::eddsa:
    return type == KeyType::ed25519;
  }
  return false;
}

Result<AuthScheme> parse_algorithm_identifier(ByteView der) {
  for (const SchemeInfo& s : schemes())
    if (s.method == 14 && equal_bytes(der, s.algid)) return s.scheme;
  for (const SchemeInfo& s : schemes()) {
    if (s.method != 14) continue;
    // sha*WithRSAEncryption with absent instead of NULL parameters.
    if (s.family == Family::rsa_pkcs1 && der.size() == 13 && der[0] == 0x30 && der[1] == 0x0b &&
        equal_bytes(der.subspan(2), s.algid.subspan(2, 11)))
      return s.scheme;
    // RSASSA-PSS with the default trailerField [3] INTEGER 1 spelled out, as in the
    // example of RFC 7427 A.4.3 (not DER, but peers copy it).
    static constexpr uint8_t kTrailer[] = {0xa3, 0x03, 0x02, 0x01, 0x01};
    if (s.family == Family::rsa_pss && der.size() == 72 && der[0] == 0x30 && der[1] == 0x46 &&
        equal_bytes(der.subspan(2, 11), s.algid.subspan(2, 11)) && der[13] == 0x30 &&
        der[14] == 0x39 && equal_bytes(der.subspan(15, 52), s.algid.subspan(15, 52)) &&
        equal_bytes(der.subspan(67), kTrailer))
      return s.scheme;
  }
  return make_error(Errc::unsupported, "auth.algorithm_identifier",
                    "AlgorithmIdentifier " + to_hex(der) +
                        " is not supported; allowed: sha256/384/512WithRSAEncryption, RSASSA-PSS "
                        "with SHA-256/384/512, ecdsa-with-SHA256/384/512, Ed25519");
}

// --- PrivateKey -----------------------------------------------------------------

struct PrivateKey::Impl {
  PkeyPtr pkey; // EVP_PKEY_free clears private components (BN_clear_free / cleanse)
  KeyType type;
};

PrivateKey::PrivateKey(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
PrivateKey::PrivateKey(PrivateKey&&) noexcept = default;
PrivateKey& PrivateKey::operator=(PrivateKey&&) noexcept = default;
PrivateKey::~PrivateKey() = default;

Result<PrivateKey> PrivateKey::load_pem(std::string_view pem) {
  if (pem.find("ENCRYPTED") != std::string_view::npos)
    return make_error(Errc::unsupported, "private_key",
                      "encrypted private keys are not supported; store the key unencrypted "
                      "with restrictive file permissions");
  BioPtr bio(BIO_new_mem_buf(pem.data(), int(pem.size())));
  PkeyPtr pkey(bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, refuse_passphrase, nullptr)
                   : nullptr);
  if (!pkey)
    return detail::ossl_error(
        "private_key", "no PEM private key found (PKCS#8 PRIVATE KEY, RSA or EC PRIVATE KEY)");
  auto type = key_type_of(pkey.get(), "private_key");
  if (!type) return type.error();
  auto impl = std::make_unique<Impl>(Impl{std::move(pkey), *type});
  return PrivateKey(std::move(impl));
}

Result<PrivateKey> PrivateKey::load_pem_file(const std::string& path, SecretAccess access) {
  auto text = read_secret_file(path, "private_key", kMaxPrivateKeyFileBytes, access);
  if (!text) return text.error();
  ByteView b = text->reveal();
  auto key = load_pem(std::string_view(reinterpret_cast<const char*>(b.data()), b.size()));
  if (!key) return std::move(key).error().within(path);
  return key;
}

KeyType PrivateKey::type() const { return impl_->type; }

PublicKey PrivateKey::public_key() const {
  // A public-only copy: the PublicKey never keeps the private components alive.
  unsigned char* buf = nullptr;
  int len = i2d_PUBKEY(impl_->pkey.get(), &buf);
  assert(len > 0);
  auto key = PublicKey::from_spki_der(ByteView(buf, size_t(len)));
  OPENSSL_free(buf);
  assert(key.has_value());
  return std::move(key).value();
}

bool PrivateKey::matches(const PublicKey& key) const {
  return EVP_PKEY_eq(impl_->pkey.get(), key.impl().pkey.get()) == 1;
}

Result<Bytes> PrivateKey::sign_auth(AuthScheme scheme, ByteView signed_octets) const {
  const SchemeInfo& s = info(scheme);
  if (!scheme_allowed_for(scheme, impl_->type))
    return make_error(Errc::bad_value, "auth.method", not_allowed(s, impl_->type));
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx || !init_digest_ctx(ctx.get(), impl_->pkey.get(), s, true))
    return detail::ossl_error("auth.signature", "signature init for " + std::string(s.name));
  size_t len = 0;
  if (EVP_DigestSign(ctx.get(), nullptr, &len, signed_octets.data(), signed_octets.size()) != 1)
    return detail::ossl_error("auth.signature", "signature size for " + std::string(s.name));
  Bytes sig(len);
  if (EVP_DigestSign(ctx.get(), sig.data(), &len, signed_octets.data(), signed_octets.size()) != 1)
    return detail::ossl_error("auth.signature", "signing with " + std::string(s.name));
  sig.resize(len);
  if (s.family == Family::ecdsa_raw) return ecdsa_der_to_raw(sig, ec_field_octets(impl_->type));
  if (s.method != 14) return sig;
  // RFC 7427 3: ASN.1 length (1 octet) | AlgorithmIdentifier | Signature Value.
  Bytes out;
  out.reserve(1 + s.algid.size() + sig.size());
  out.push_back(uint8_t(s.algid.size()));
  out.insert(out.end(), s.algid.begin(), s.algid.end());
  out.insert(out.end(), sig.begin(), sig.end());
  return out;
}

// --- verification ---------------------------------------------------------------

Result<AuthScheme> verify_auth(const PublicKey& key, uint8_t method, ByteView auth_data,
                               ByteView signed_octets) {
  KeyType type = key.type();
  AuthScheme scheme;
  ByteView sig = auth_data;
  switch (method) {
  case auth_method::rsa_digital_signature:
    scheme = AuthScheme::rsa_sig;
    break;
  case auth_method::ecdsa_sha256_p256:
    scheme = AuthScheme::ecdsa_sha256_p256;
    break;
  case auth_method::ecdsa_sha384_p384:
    scheme = AuthScheme::ecdsa_sha384_p384;
    break;
  case auth_method::ecdsa_sha512_p521:
    scheme = AuthScheme::ecdsa_sha512_p521;
    break;
  case auth_method::digital_signature: {
    Reader r(auth_data);
    auto len = r.u8("auth.algorithm_identifier_length");
    if (!len) return len.error();
    auto algid = r.bytes(*len, "auth.algorithm_identifier");
    if (!algid) return algid.error();
    auto parsed = parse_algorithm_identifier(*algid);
    if (!parsed) return parsed.error();
    scheme = *parsed;
    sig = r.rest();
    break;
  }
  default:
    return make_error(Errc::unsupported, "auth.method",
                      "authentication method " + std::to_string(method) +
                          " is not a signature method; allowed: 1, 9, 10, 11, 14");
  }
  const SchemeInfo& s = info(scheme);
  if (!scheme_allowed_for(scheme, type))
    return make_error(Errc::integrity, method == 14 ? "auth.algorithm_identifier" : "auth.method",
                      not_allowed(s, type));
  Bytes der_sig;
  if (s.family == Family::ecdsa_raw) {
    size_t n = ec_field_octets(type);
    if (sig.size() != 2 * n)
      return make_error(Errc::integrity, "auth.signature",
                        method_label(method) + " signature must be " + std::to_string(2 * n) +
                            " octets r||s (RFC 4754 7), got " + std::to_string(sig.size()));
    auto der = ecdsa_raw_to_der(sig, n);
    if (!der) return der.error();
    der_sig = std::move(*der);
    sig = der_sig;
  }
  if (sig.empty()) return make_error(Errc::integrity, "auth.signature", "empty signature value");
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx || !init_digest_ctx(ctx.get(), key.impl().pkey.get(), s, false))
    return detail::ossl_error("auth.signature", "verify init for " + std::string(s.name));
  int ok = EVP_DigestVerify(ctx.get(), sig.data(), sig.size(), signed_octets.data(),
                            signed_octets.size());
  ERR_clear_error();
  if (ok != 1)
    return make_error(Errc::integrity, "auth.signature",
                      "signature does not verify (" + std::string(s.name) + " with the peer's " +
                          std::string(key_type_name(type)) + " key)");
  return scheme;
}

// --- SIGNATURE_HASH_ALGORITHMS --------------------------------------------------

std::span<const SigHash> supported_sig_hashes() {
  static constexpr SigHash kSupported[] = {SigHash::sha2_256, SigHash::sha2_384, SigHash::sha2_512,
                                           SigHash::identity};
  return kSupported;
}

Bytes encode_sig_hash_list(std::span<const SigHash> hashes) {
  Bytes out(hashes.size() * 2);
  for (size_t i = 0; i < hashes.size(); ++i)
    store_be16(out.data() + 2 * i, uint16_t(hashes[i]));
  return out;
}

Result<std::vector<uint16_t>> parse_sig_hash_list(ByteView notify_data) {
  // RFC 7427 4: a list of 16-bit identifiers; an odd length is malformed.
  if (notify_data.size() % 2 != 0)
    return make_error(Errc::bad_length, "notify.signature_hash_algorithms",
                      "length " + std::to_string(notify_data.size()) +
                          " is not a multiple of 2 (16-bit hash algorithm identifiers)");
  std::vector<uint16_t> out;
  out.reserve(notify_data.size() / 2);
  for (size_t i = 0; i < notify_data.size(); i += 2)
    out.push_back(load_be16(notify_data.data() + i));
  return out;
}

Result<AuthScheme> default_auth_scheme(KeyType key,
                                       const std::optional<std::vector<uint16_t>>& peer_hashes,
                                       bool prefer_rsa_pss) {
  auto classic = [&]() -> Result<AuthScheme> {
    switch (key) {
    case KeyType::rsa:
      return AuthScheme::rsa_sig;
    case KeyType::ecdsa_p256:
      return AuthScheme::ecdsa_sha256_p256;
    case KeyType::ecdsa_p384:
      return AuthScheme::ecdsa_sha384_p384;
    case KeyType::ecdsa_p521:
      return AuthScheme::ecdsa_sha512_p521;
    case KeyType::ed25519:
      break;
    }
    return make_error(Errc::unsupported, "auth.method",
                      peer_hashes ? "an Ed25519 key needs hash algorithm Identity (5) in the "
                                    "peer's SIGNATURE_HASH_ALGORITHMS (RFC 8420 2)"
                                  : "an Ed25519 key needs RFC 7427 Digital Signature, but the "
                                    "peer sent no SIGNATURE_HASH_ALGORITHMS");
  };
  if (!peer_hashes) return classic();
  auto has = [&](SigHash h) {
    return std::find(peer_hashes->begin(), peer_hashes->end(), uint16_t(h)) != peer_hashes->end();
  };
  if (key == KeyType::ed25519)
    return has(SigHash::identity) ? Result<AuthScheme>(AuthScheme::sig_ed25519) : classic();
  std::vector<SigHash> order = {SigHash::sha2_256, SigHash::sha2_384, SigHash::sha2_512};
  if (key == KeyType::ecdsa_p384) order = {SigHash::sha2_384, SigHash::sha2_512, SigHash::sha2_256};
  if (key == KeyType::ecdsa_p521) order = {SigHash::sha2_512, SigHash::sha2_384, SigHash::sha2_256};
  for (SigHash h : order) {
    if (!has(h)) continue;
    int i = h == SigHash::sha2_256 ? 0 : h == SigHash::sha2_384 ? 1 : 2;
    if (is_ecdsa(key))
      return std::array{AuthScheme::sig_ecdsa_sha256, AuthScheme::sig_ecdsa_sha384,
                        AuthScheme::sig_ecdsa_sha512}[size_t(i)];
    if (prefer_rsa_pss)
      return std::array{AuthScheme::sig_rsa_pss_sha256, AuthScheme::sig_rsa_pss_sha384,
                        AuthScheme::sig_rsa_pss_sha512}[size_t(i)];
    return std::array{AuthScheme::sig_rsa_sha256, AuthScheme::sig_rsa_sha384,
                      AuthScheme::sig_rsa_sha512}[size_t(i)];
  }
  return classic();
}

} // namespace ikekit::crypto
