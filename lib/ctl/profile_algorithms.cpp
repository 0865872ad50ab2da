#include "profile_algorithms.hpp"

#include "crypto/proposal_string.hpp"

#include <optional>
#include <string_view>

namespace ikekit::ctl {

namespace {

struct Name {
  std::string_view keyword, platform;
};

// Apple: VPN.IKEv2.IKESecurityAssociationParameters / ChildSecurityAssociationParameters
// (EncryptionAlgorithm, IntegrityAlgorithm, DiffieHellmanGroup 1, 2, 5, 14-21, 31, 32).
constexpr Name kAppleEncr[] = {{"aes128", "AES-128"},
                               {"aes256", "AES-256"},
                               {"aes128gcm16", "AES-128-GCM"},
                               {"aes256gcm16", "AES-256-GCM"},
                               {"chacha20poly1305", "ChaCha20Poly1305"}};
constexpr Name kAppleInteg[] = {
    {"sha1", "SHA1-96"}, {"sha256", "SHA2-256"}, {"sha384", "SHA2-384"}, {"sha512", "SHA2-512"}};
constexpr Name kAppleGroup[] = {{"modp1024", "2"},  {"modp2048", "14"}, {"modp3072", "15"},
                                {"modp4096", "16"}, {"modp6144", "17"}, {"modp8192", "18"},
                                {"ecp256", "19"},   {"ecp384", "20"},   {"ecp521", "21"},
                                {"x25519", "31"},   {"x448", "32"}};
// Windows: Set-VpnConnectionIPsecConfiguration's EncryptionMethod, IntegrityCheckMethod
// and DHGroup (IKE), CipherTransformConstants, AuthenticationTransformConstants and
// PfsGroup (ESP).
constexpr Name kWinIkeEncr[] = {{"aes128", "AES128"},
                                {"aes192", "AES192"},
                                {"aes256", "AES256"},
                                {"aes128gcm16", "GCMAES128"},
                                {"aes256gcm16", "GCMAES256"}};
constexpr Name kWinIkeInteg[] = {{"sha1", "SHA1"}, {"sha256", "SHA256"}, {"sha384", "SHA384"}};
constexpr Name kWinDhGroup[] = {
    {"modp1024", "Group2"}, {"modp2048", "Group14"}, {"ecp256", "ECP256"}, {"ecp384", "ECP384"}};
constexpr Name kWinEspEncr[] = {{"aes128", "AES128"},         {"aes192", "AES192"},
                                {"aes256", "AES256"},         {"aes128gcm16", "GCMAES128"},
                                {"aes192gcm16", "GCMAES192"}, {"aes256gcm16", "GCMAES256"}};
constexpr Name kWinEspInteg[] = {{"sha1", "SHA196"}, {"sha256", "SHA256128"}};
constexpr Name kWinPfsGroup[] = {
    {"modp1024", "PFS2"}, {"modp2048", "PFS2048"}, {"ecp256", "ECP256"}, {"ecp384", "ECP384"}};

struct Tables {
  std::span<const Name> encr, integ, group;
  std::string_view platform, encr_key, integ_key, group_key;
};

Tables tables(Platform p, bool ike) {
  if (p == Platform::apple)
    return {kAppleEncr,          kAppleInteg,           kAppleGroup,
            "iOS/macOS",         "EncryptionAlgorithm", "IntegrityAlgorithm",
            "DiffieHellmanGroup"};
  if (ike)
    return {kWinIkeEncr,        kWinIkeInteg,           kWinDhGroup, "Windows",
            "EncryptionMethod", "IntegrityCheckMethod", "DHGroup"};
  return {kWinEspEncr,
          kWinEspInteg,
          kWinPfsGroup,
          "Windows",
          "CipherTransformConstants",
          "AuthenticationTransformConstants",
          "PfsGroup"};
}

std::optional<std::string_view> lookup(std::span<const Name> t, std::string_view keyword) {
  for (const auto& n : t)
    if (n.keyword == keyword) return n.platform;
  return std::nullopt;
}

std::string keywords(const std::vector<const crypto::TransformInfo*>& v) {
  std::string s;
  for (auto* t : v)
    s += (s.empty() ? "" : ", ") + std::string(t->keyword);
  return s;
}

std::string allowed(std::span<const Name> t) {
  std::string s;
  for (const auto& n : t)
    s += (s.empty() ? "" : ", ") + std::string(n.keyword);
  return s;
}

// Why a proposal does not fit, or its algorithms in the platform's names.
struct Pick {
  std::optional<PlatformSa> sa;
  std::string why;
};

Pick fail(const Tables& t, const std::string& what, std::string_view key,
          std::span<const Name> names) {
  return {std::nullopt, what + " is not available on " + std::string(t.platform) + " (" +
                            std::string(key) + " takes " + allowed(names) + ")"};
}

template <class F>
const crypto::TransformInfo* first(const std::vector<const crypto::TransformInfo*>& v, F ok) {
  for (auto* t : v)
    if (ok(t)) return t;
  return nullptr;
}

Pick pick_one(const Tables& t, const crypto::ParsedProposal& p, bool ike) {
  PlatformSa sa;
  sa.encr_t = first(p.encr, [&](auto* x) { return lookup(t.encr, x->keyword).has_value(); });
  if (!sa.encr_t)
    return fail(t, "the encryption algorithm " + keywords(p.encr), t.encr_key, t.encr);
  sa.encr = *lookup(t.encr, sa.encr_t->keyword);
  auto integ_of_prf = [&](const crypto::TransformInfo* prf) {
    std::string_view k = prf->keyword; // "prfsha256" -> "sha256"
    return k.substr(0, 3) == "prf" ? lookup(t.integ, k.substr(3)) : std::nullopt;
  };
  if (ike) {
    // The PRF comes from the integrity algorithm's name, AEAD or not.
    sa.prf_t = first(p.prf, [&](auto* x) {
      if (!integ_of_prf(x)) return false;
      if (sa.encr_t->aead) return true;
      return first(p.integ, [&](auto* i) {
               return "prf" + std::string(i->keyword) == x->keyword;
             }) != nullptr;
    });
    if (!sa.prf_t)
      return fail(t,
                  "the PRF/integrity pair " + keywords(p.prf) + (p.integ.empty() ? "" : " / ") +
                      keywords(p.integ),
                  t.integ_key, t.integ);
    sa.integ = *integ_of_prf(sa.prf_t);
    if (!sa.encr_t->aead) sa.integ_t = crypto::find_keyword(sa.prf_t->keyword.substr(3));
  } else if (sa.encr_t->aead) {
    sa.integ = sa.encr; // Windows names GCM's integrity as its cipher; Apple ignores it
  } else {
    sa.integ_t = first(p.integ, [&](auto* x) { return lookup(t.integ, x->keyword).has_value(); });
    if (!sa.integ_t)
      return fail(t, "the integrity algorithm " + keywords(p.integ), t.integ_key, t.integ);
    sa.integ = *lookup(t.integ, sa.integ_t->keyword);
  }
  if (!ike && !p.esn.empty() && !first(p.esn, [](auto* x) { return x->id == 0; }))
    return {std::nullopt,
            "extended sequence numbers (esn) are not available on " + std::string(t.platform)};
  if (ike || !p.ke.empty()) {
    sa.ke_t = first(p.ke, [&](auto* x) { return lookup(t.group, x->keyword).has_value(); });
    if (!sa.ke_t)
      return fail(t, std::string(ike ? "the DH group " : "the PFS group ") + keywords(p.ke),
                  t.group_key, t.group);
    sa.group = *lookup(t.group, sa.ke_t->keyword);
  }
  return {sa, ""};
}

Result<PlatformSa> pick(Platform platform, const std::vector<std::string>& proposals, bool ike) {
  const char* field = ike ? "ike_proposals" : "esp_proposals";
  Tables t = tables(platform, ike);
  std::string first_why;
  for (size_t i = 0; i < proposals.size(); ++i) {
    auto parsed = crypto::parse_proposal(proposals[i], ike ? crypto::ProposalKind::ike
                                                           : crypto::ProposalKind::esp);
    if (!parsed) return parsed.error();
    auto r = pick_one(t, *parsed, ike);
    if (r.sa) return *r.sa;
    if (first_why.empty()) first_why = "\"" + proposals[i] + "\": " + r.why;
  }
  if (proposals.empty())
    return make_error(Errc::unsupported, field, "the connection has no proposal");
  return make_error(Errc::unsupported, std::string(field) + "[0]",
                    first_why + (proposals.size() > 1 ? "; no other proposal fits either" : ""));
}

} // namespace

Result<PlatformSa> pick_ike(Platform platform, const std::vector<std::string>& proposals) {
  return pick(platform, proposals, true);
}

Result<PlatformSa> pick_esp(Platform platform, const std::vector<std::string>& proposals) {
  return pick(platform, proposals, false);
}

} // namespace ikekit::ctl
