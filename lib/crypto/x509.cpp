// X.509 for IKEv2: RFC 7296 2.15/3.5/3.6/3.7, RFC 4945 (IKE PKI profile), RFC 5280.
#include "crypto/x509.hpp"

#include "base/hex.hpp"
#include "base/ip_address.hpp"
#include "crypto/ossl.hpp"
#include "crypto/public_key_impl.hpp"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <iterator>
#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

namespace ikekit::crypto {
namespace {

using detail::BioPtr;
using detail::MdPtr;

struct X509Free {
  void operator()(X509* p) const { X509_free(p); }
};
struct StoreFree {
  void operator()(X509_STORE* p) const { X509_STORE_free(p); }
};
struct StoreCtxFree {
  void operator()(X509_STORE_CTX* p) const { X509_STORE_CTX_free(p); }
};
struct StackFree {
  void operator()(STACK_OF(X509) * p) const { sk_X509_free(p); }
};
struct ChainFree {
  void operator()(STACK_OF(X509) * p) const { sk_X509_pop_free(p, X509_free); }
};
struct NamesFree {
  void operator()(GENERAL_NAMES* p) const { GENERAL_NAMES_free(p); }
};
struct NameFree {
  void operator()(X509_NAME* p) const { X509_NAME_free(p); }
};
struct EkuFree {
  void operator()(EXTENDED_KEY_USAGE* p) const { EXTENDED_KEY_USAGE_free(p); }
};
using X509Ptr = std::unique_ptr<X509, X509Free>;
using StorePtr = std::unique_ptr<X509_STORE, StoreFree>;
using StoreCtxPtr = std::unique_ptr<X509_STORE_CTX, StoreCtxFree>;
using StackPtr = std::unique_ptr<STACK_OF(X509), StackFree>;
using ChainPtr = std::unique_ptr<STACK_OF(X509), ChainFree>;
using NamesPtr = std::unique_ptr<GENERAL_NAMES, NamesFree>;
using NamePtr = std::unique_ptr<X509_NAME, NameFree>;
using EkuPtr = std::unique_ptr<EXTENDED_KEY_USAGE, EkuFree>;

using detail::sha1_md;
using detail::sha1_of;

// "C=CH, O=ikekit test, CN=moon" (one line, RFC 2253 escaping, UTF-8, X.500 order).
std::string name_text(const X509_NAME* name) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  unsigned long flags =
      (XN_FLAG_ONELINE & ~XN_FLAG_SPC_EQ & ~ASN1_STRFLGS_ESC_MSB) | ASN1_STRFLGS_UTF8_CONVERT;
  if (!bio || X509_NAME_print_ex(bio.get(), name, 0, flags) < 0) return {};
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, size_t(len));
}

Bytes name_der(const X509_NAME* name) {
  const unsigned char* der = nullptr;
  size_t len = 0;
  if (X509_NAME_get0_der(name, &der, &len) != 1) return {};
  return Bytes(der, der + len);
}

std::time_t asn1_time_t(const ASN1_TIME* t) {
  struct tm tm {};
  if (!t || ASN1_TIME_to_tm(t, &tm) != 1) return 0;
  return timegm(&tm);
}

std::string rfc3339(std::time_t t) {
  struct tm tm {};
  gmtime_r(&t, &tm);
  char buf[32];
  strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

bool iequal(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string asn1_text(const ASN1_STRING* s) {
  return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                     size_t(ASN1_STRING_length(s)));
}

Result<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(Errc::io, "cert", "cannot open " + path);
  std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return make_error(Errc::io, "cert", "cannot read " + path);
  return data;
}

} // namespace

std::string_view san_kind_name(SubjectAltName::Kind kind) {
  switch (kind) {
  case SubjectAltName::Kind::dns:
    return "dns";
  case SubjectAltName::Kind::email:
    return "email";
  case SubjectAltName::Kind::ip:
    return "ip";
  case SubjectAltName::Kind::uri:
    return "uri";
  case SubjectAltName::Kind::other:
    return "other";
  }
  return "other";
}

// --- Certificate ----------------------------------------------------------------

struct Certificate::Impl {
  X509Ptr x509;
  Bytes der;
};

Result<Certificate> Certificate::from_der(ByteView der) {
  const unsigned char* p = der.data();
  X509Ptr x(d2i_X509(nullptr, &p, long(der.size())));
  if (!x) return detail::ossl_error(Errc::bad_value, "cert", "not a DER X.509 certificate");
  if (p != der.data() + der.size())
    return make_error(Errc::bad_length, "cert",
                      std::to_string(der.data() + der.size() - p) +
                          " octets follow the DER certificate");
  return Certificate(
      std::make_shared<const Impl>(Impl{std::move(x), Bytes(der.begin(), der.end())}));
}

Result<std::vector<Certificate>> Certificate::all_from_pem(std::string_view pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), int(pem.size())));
  if (!bio) return detail::ossl_error(Errc::crypto, "cert", "BIO_new_mem_buf");
  std::vector<Certificate> out;
  for (;;) {
    X509Ptr x(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    if (!x) break;
    unsigned char* buf = nullptr;
    int len = i2d_X509(x.get(), &buf);
    if (len <= 0) return detail::ossl_error(Errc::crypto, "cert", "re-encoding certificate");
    Bytes der(buf, buf + len);
    OPENSSL_free(buf);
    out.push_back(Certificate(std::make_shared<const Impl>(Impl{std::move(x), std::move(der)})));
  }
  ERR_clear_error(); // the loop ends on "no start line"
  if (out.empty()) return make_error(Errc::not_found, "cert", "no PEM CERTIFICATE block found");
  return out;
}

Result<Certificate> Certificate::from_pem(std::string_view pem) {
  auto all = all_from_pem(pem);
  if (!all) return all.error();
  return all->front();
}

Result<std::vector<Certificate>> Certificate::load_file(const std::string& path) {
  auto data = read_file(path);
  if (!data) return data.error();
  if (data->find("-----BEGIN") != std::string::npos) {
    auto all = all_from_pem(*data);
    if (!all) return std::move(all).error().within(path);
    return all;
  }
  auto one = from_der(as_bytes(*data));
  if (!one) return std::move(one).error().within(path);
  return std::vector<Certificate>{*one};
}

Bytes Certificate::der() const { return impl_->der; }
std::string Certificate::subject() const {
  return name_text(X509_get_subject_name(impl_->x509.get()));
}
Bytes Certificate::subject_der() const {
  return name_der(X509_get_subject_name(impl_->x509.get()));
}
std::string Certificate::issuer() const {
  return name_text(X509_get_issuer_name(impl_->x509.get()));
}
Bytes Certificate::issuer_der() const { return name_der(X509_get_issuer_name(impl_->x509.get())); }

std::string Certificate::serial_hex() const {
  BIGNUM* bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(impl_->x509.get()), nullptr);
  if (!bn) return {};
  Bytes b(size_t(BN_num_bytes(bn)));
  BN_bn2bin(bn, b.data());
  BN_free(bn);
  return b.empty() ? "00" : to_hex(b);
}

std::time_t Certificate::not_before_time() const {
  return asn1_time_t(X509_get0_notBefore(impl_->x509.get()));
}
std::time_t Certificate::not_after_time() const {
  return asn1_time_t(X509_get0_notAfter(impl_->x509.get()));
}
std::string Certificate::not_before() const { return rfc3339(not_before_time()); }
std::string Certificate::not_after() const { return rfc3339(not_after_time()); }

bool Certificate::is_ca() const {
  return (X509_get_extension_flags(impl_->x509.get()) & EXFLAG_CA) != 0;
}

bool Certificate::has_san_extension() const {
  return X509_get_ext_by_NID(impl_->x509.get(), NID_subject_alt_name, -1) >= 0;
}

std::vector<SubjectAltName> Certificate::subject_alt_names() const {
  std::vector<SubjectAltName> out;
  NamesPtr names(static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(impl_->x509.get(), NID_subject_alt_name, nullptr, nullptr)));
  if (!names) return out;
  for (int i = 0; i < sk_GENERAL_NAME_num(names.get()); ++i) {
    const GENERAL_NAME* gn = sk_GENERAL_NAME_value(names.get(), i);
    SubjectAltName san;
    const ASN1_STRING* s = nullptr;
    switch (gn->type) {
    case GEN_DNS:
      san.kind = SubjectAltName::Kind::dns;
      s = gn->d.dNSName;
      break;
    case GEN_EMAIL:
      san.kind = SubjectAltName::Kind::email;
      s = gn->d.rfc822Name;
      break;
    case GEN_URI:
      san.kind = SubjectAltName::Kind::uri;
      s = gn->d.uniformResourceIdentifier;
      break;
    case GEN_IPADD:
      san.kind = SubjectAltName::Kind::ip;
      s = gn->d.iPAddress;
      break;
    default:
      break;
    }
    if (s) {
      const uint8_t* d = ASN1_STRING_get0_data(s);
      san.raw.assign(d, d + ASN1_STRING_length(s));
      if (san.kind == SubjectAltName::Kind::ip) {
        if (san.raw.size() == 4)
          san.text = IpAddress::v4(san.raw).to_string();
        else if (san.raw.size() == 16)
          san.text = IpAddress::v6(san.raw).to_string();
        else
          san.text = to_hex(san.raw); // a name constraint style address/mask
      } else {
        san.text = asn1_text(s);
      }
    }
    out.push_back(std::move(san));
  }
  return out;
}

std::optional<std::string> Certificate::common_name() const {
  const X509_NAME* name = X509_get_subject_name(impl_->x509.get());
  int idx = -1, last = -1;
  while ((idx = X509_NAME_get_index_by_NID(name, NID_commonName, idx)) >= 0)
    last = idx;
  if (last < 0) return std::nullopt;
  const ASN1_STRING* s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, last));
  unsigned char* utf8 = nullptr;
  int len = ASN1_STRING_to_UTF8(&utf8, s);
  if (len < 0) return std::nullopt;
  std::string out(reinterpret_cast<char*>(utf8), size_t(len));
  OPENSSL_free(utf8);
  return out;
}

// The certificate's own parsed key, shared: no SubjectPublicKeyInfo encoded and decoded
// again per IKE_AUTH (crypto/public_key_impl.hpp).
Result<PublicKey> Certificate::public_key() const {
  auto key =
      detail::PublicKeyAccess::from_spki(X509_get_X509_PUBKEY(impl_->x509.get()), "public_key");
  if (!key) return std::move(key).error().within("cert");
  return key;
}

Bytes Certificate::spki_sha1() const {
  unsigned char* buf = nullptr;
  int len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(impl_->x509.get()), &buf);
  if (len <= 0) return {};
  Bytes out = sha1_of(ByteView(buf, size_t(len)));
  OPENSSL_free(buf);
  return out;
}

Bytes Certificate::public_key_sha1() const {
  Bytes out(EVP_MAX_MD_SIZE);
  unsigned int len = 0;
  if (X509_pubkey_digest(impl_->x509.get(), sha1_md(), out.data(), &len) != 1) return {};
  out.resize(len);
  return out;
}

std::optional<Bytes> Certificate::subject_key_id() const {
  const ASN1_OCTET_STRING* ski = X509_get0_subject_key_id(impl_->x509.get());
  if (!ski) return std::nullopt;
  const uint8_t* d = ASN1_STRING_get0_data(ski);
  return Bytes(d, d + ASN1_STRING_length(ski));
}

std::optional<std::vector<std::string>> Certificate::extended_key_usage() const {
  EkuPtr eku(static_cast<EXTENDED_KEY_USAGE*>(
      X509_get_ext_d2i(impl_->x509.get(), NID_ext_key_usage, nullptr, nullptr)));
  if (!eku) return std::nullopt;
  std::vector<std::string> oids;
  for (int i = 0; i < sk_ASN1_OBJECT_num(eku.get()); ++i) {
    char buf[128];
    int n = OBJ_obj2txt(buf, sizeof buf, sk_ASN1_OBJECT_value(eku.get(), i), 1);
    if (n > 0 && size_t(n) < sizeof buf) oids.emplace_back(buf, size_t(n));
  }
  return oids;
}

// --- identity -------------------------------------------------------------------

namespace {

std::string list_sans(const std::vector<SubjectAltName>& sans, SubjectAltName::Kind kind) {
  std::string out;
  for (const auto& s : sans) {
    if (s.kind != kind) continue;
    if (!out.empty()) out += ", ";
    out += s.text;
  }
  return out.empty() ? "none" : out;
}

Error id_mismatch(std::string what) { return make_error(Errc::integrity, "id", std::move(what)); }

} // namespace

Result<void> match_identity(const Certificate& cert, uint8_t type, ByteView id_data) {
  std::vector<SubjectAltName> sans = cert.subject_alt_names();
  switch (type) {
  case id_type::fqdn:
  case id_type::rfc822_addr: {
    std::string_view id(reinterpret_cast<const char*>(id_data.data()), id_data.size());
    auto kind = type == id_type::fqdn ? SubjectAltName::Kind::dns : SubjectAltName::Kind::email;
    for (const auto& s : sans)
      if (s.kind == kind && iequal(s.text, id)) return {};
    std::string label = type == id_type::fqdn ? "ID_FQDN" : "ID_RFC822_ADDR";
    std::string san_name = type == id_type::fqdn ? "dNSName" : "rfc822Name";
    if (type == id_type::fqdn && !cert.has_san_extension()) {
      // Legacy certificates without subjectAltName: accept the subject CN (documented).
      auto cn = cert.common_name();
      if (cn && iequal(*cn, id)) return {};
      return id_mismatch(label + " '" + std::string(id) +
                         "' does not match the certificate, which has no subjectAltName and "
                         "subject CN '" +
                         cn.value_or("") + "'");
    }
    return id_mismatch(label + " '" + std::string(id) + "' does not match the certificate's " +
                       san_name + " SANs (" + list_sans(sans, kind) + ")");
  }
  case id_type::ipv4_addr:
  case id_type::ipv6_addr: {
    size_t want = type == id_type::ipv4_addr ? 4 : 16;
    std::string label = type == id_type::ipv4_addr ? "ID_IPV4_ADDR" : "ID_IPV6_ADDR";
    if (id_data.size() != want)
      return make_error(Errc::bad_length, "id",
                        label + " must be " + std::to_string(want) + " octets, got " +
                            std::to_string(id_data.size()));
    for (const auto& s : sans)
      if (s.kind == SubjectAltName::Kind::ip && equal_bytes(s.raw, id_data)) return {};
    std::string text =
        want == 4 ? IpAddress::v4(id_data).to_string() : IpAddress::v6(id_data).to_string();
    return id_mismatch(label + " " + text + " does not match the certificate's iPAddress SANs (" +
                       list_sans(sans, SubjectAltName::Kind::ip) + ")");
  }
  case id_type::der_asn1_dn: {
    Bytes subject = cert.subject_der();
    if (equal_bytes(subject, id_data)) return {};
    const unsigned char* p = id_data.data();
    NamePtr name(d2i_X509_NAME(nullptr, &p, long(id_data.size())));
    if (!name) return detail::ossl_error(Errc::bad_value, "id", "ID_DER_ASN1_DN is not a DER Name");
    // X509_NAME_cmp compares the canonical encodings (case and space folded).
    if (X509_NAME_cmp(name.get(), X509_get_subject_name(cert.impl().x509.get())) == 0) return {};
    return id_mismatch("ID_DER_ASN1_DN '" + name_text(name.get()) +
                       "' does not equal the certificate subject '" + cert.subject() + "'");
  }
  default:
    return make_error(Errc::unsupported, "id",
                      "ID type " + std::to_string(type) +
                          " cannot be matched against a certificate; allowed: ID_IPV4_ADDR (1), "
                          "ID_FQDN (2), ID_RFC822_ADDR (3), ID_IPV6_ADDR (5), ID_DER_ASN1_DN (9)");
  }
}

// --- CertStore ------------------------------------------------------------------

struct CertStore::Store {
  StorePtr store{X509_STORE_new()};
};

CertStore::CertStore() : store_(std::make_unique<Store>()) {}
CertStore::CertStore(CertStore&&) noexcept = default;
CertStore& CertStore::operator=(CertStore&&) noexcept = default;
CertStore::~CertStore() = default;

Result<void> CertStore::add_trust_anchor(const Certificate& ca) {
  if (!store_->store || X509_STORE_add_cert(store_->store.get(), ca.impl().x509.get()) != 1)
    return detail::ossl_error(Errc::crypto, "ca", "adding trust anchor '" + ca.subject() + "'");
  anchors_.push_back(ca);
  return {};
}

Result<void> CertStore::add_file(const std::string& path) {
  auto certs = Certificate::load_file(path);
  if (!certs) return certs.error();
  for (const auto& c : *certs) {
    auto r = add_trust_anchor(c);
    if (!r) return r;
  }
  return {};
}

Bytes CertStore::certreq_authorities() const {
  Bytes out;
  for (const auto& a : anchors_) {
    Bytes h = a.spki_sha1();
    out.insert(out.end(), h.begin(), h.end());
  }
  return out;
}

const Certificate* CertStore::find_by_spki_sha1(ByteView sha1) const {
  for (const auto& a : anchors_)
    if (equal_bytes(a.spki_sha1(), sha1)) return &a;
  return nullptr;
}

namespace {

Error chain_error(X509_STORE_CTX* ctx, std::time_t at) {
  int err = X509_STORE_CTX_get_error(ctx);
  int depth = X509_STORE_CTX_get_error_depth(ctx);
  X509* cur = X509_STORE_CTX_get_current_cert(ctx);
  std::string field = "cert[" + std::to_string(depth) + "]";
  std::string subject = cur ? "'" + name_text(X509_get_subject_name(cur)) + "'" : "(unknown)";
  std::string issuer = cur ? "'" + name_text(X509_get_issuer_name(cur)) + "'" : "(unknown)";
  std::string when = rfc3339(at);
  switch (err) {
  case X509_V_ERR_CERT_HAS_EXPIRED:
    return make_error(Errc::integrity, field,
                      "certificate " + subject + " expired: notAfter " +
                          rfc3339(asn1_time_t(X509_get0_notAfter(cur))) +
                          " is before the validation time " + when);
  case X509_V_ERR_CERT_NOT_YET_VALID:
    return make_error(Errc::integrity, field,
                      "certificate " + subject + " is not yet valid: notBefore " +
                          rfc3339(asn1_time_t(X509_get0_notBefore(cur))) +
                          " is after the validation time " + when);
  case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
  case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
  case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
  case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
  case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    return make_error(Errc::integrity, field,
                      "unknown CA: no trust anchor or intermediate for issuer " + issuer +
                          " of certificate " + subject);
  case X509_V_ERR_CERT_SIGNATURE_FAILURE:
    return make_error(Errc::integrity, field,
                      "bad signature on certificate " + subject + " (issuer " + issuer + ")");
  default:
    return make_error(Errc::integrity, field,
                      "certificate " + subject +
                          " rejected: " + X509_verify_cert_error_string(err));
  }
}

// RFC 4945 5.1.3.2 / 5.1.3.12: what the end entity's key may be used for.
Result<void> check_usage(X509* ee) {
  uint32_t flags = X509_get_extension_flags(ee);
  std::string subject = "'" + name_text(X509_get_subject_name(ee)) + "'";
  if ((flags & EXFLAG_KUSAGE) &&
      !(X509_get_key_usage(ee) & (KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION)))
    return make_error(Errc::integrity, "cert[0].key_usage",
                      "certificate " + subject +
                          " keyUsage does not allow digitalSignature (nor nonRepudiation)");
  EkuPtr eku(
      static_cast<EXTENDED_KEY_USAGE*>(X509_get_ext_d2i(ee, NID_ext_key_usage, nullptr, nullptr)));
  if (!eku) return {};
  for (int i = 0; i < sk_ASN1_OBJECT_num(eku.get()); ++i) {
    const ASN1_OBJECT* o = sk_ASN1_OBJECT_value(eku.get(), i);
    int nid = OBJ_obj2nid(o);
    char oid[64];
    bool ike_intermediate =
        OBJ_obj2txt(oid, sizeof oid, o, 1) > 0 && std::string_view(oid) == eku::ike_intermediate;
    if (nid == NID_ipsec_IKE || nid == NID_server_auth || nid == NID_client_auth ||
        nid == NID_anyExtendedKeyUsage || ike_intermediate)
      return {};
  }
  return make_error(Errc::integrity, "cert[0].extended_key_usage",
                    "certificate " + subject +
                        " extendedKeyUsage lists none of ipsecIKE, serverAuth, clientAuth, "
                        "IKE intermediate, anyExtendedKeyUsage");
}

} // namespace

Result<std::vector<Certificate>> CertStore::verify(const Certificate& end_entity,
                                                   std::span<const Certificate> intermediates,
                                                   std::time_t at) const {
  StoreCtxPtr ctx(X509_STORE_CTX_new());
  StackPtr untrusted(sk_X509_new_null());
  if (!ctx || !untrusted) return detail::ossl_error(Errc::crypto, "cert", "X509_STORE_CTX_new");
  for (const auto& c : intermediates) // borrowed: `intermediates` outlives the call
    if (sk_X509_push(untrusted.get(), c.impl().x509.get()) <= 0)
      return detail::ossl_error(Errc::crypto, "cert", "sk_X509_push");
  X509* ee = end_entity.impl().x509.get();
  if (X509_STORE_CTX_init(ctx.get(), store_->store.get(), ee, untrusted.get()) != 1)
    return detail::ossl_error(Errc::crypto, "cert", "X509_STORE_CTX_init");
  // The caller's time, never the clock (DESIGN 1); also sets X509_V_FLAG_USE_CHECK_TIME.
  X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(ctx.get()), at);
  int ok = X509_verify_cert(ctx.get());
  if (ok != 1) {
    Error e = chain_error(ctx.get(), at);
    ERR_clear_error();
    return e;
  }
  auto usage = check_usage(ee);
  if (!usage) return usage.error();
  ChainPtr chain(X509_STORE_CTX_get1_chain(ctx.get()));
  std::vector<Certificate> path;
  // The chain's certificates are the ones we hold (end entity, intermediates, anchors):
  // shared, not re-parsed from their DER (d2i_X509 decodes the public key through
  // OpenSSL 3's decoders, ~1.5M instructions per certificate).
  for (int i = 0; chain && i < sk_X509_num(chain.get()); ++i) {
    X509* x = sk_X509_value(chain.get(), i);
    unsigned char* buf = nullptr;
    int len = i2d_X509(x, &buf);
    if (len <= 0) return detail::ossl_error(Errc::crypto, "cert", "re-encoding chain");
    Bytes der(buf, buf + len);
    OPENSSL_free(buf);
    if (X509_up_ref(x) != 1) return detail::ossl_error(Errc::crypto, "cert", "X509_up_ref");
    path.push_back(Certificate(
        std::make_shared<const Certificate::Impl>(Certificate::Impl{X509Ptr(x), std::move(der)})));
  }
  return path;
}

} // namespace ikekit::crypto
