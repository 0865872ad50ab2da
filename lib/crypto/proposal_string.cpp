#include "crypto/proposal_string.hpp"

#include <algorithm>
#include <cctype>
#include <string>

namespace ikekit::crypto {

namespace {

std::string_view field_name(ProposalKind kind) {
  return kind == ProposalKind::ike ? "ike_proposal" : "esp_proposal";
}

Error proposal_error(ProposalKind kind, std::string message) {
  return make_error(Errc::usage, std::string(field_name(kind)), std::move(message));
}

bool allowed(TransformKind t, ProposalKind kind) {
  if (kind == ProposalKind::ike) return t != TransformKind::esn;
  return t != TransformKind::prf;
}

std::string expected_list(ProposalKind kind) {
  std::string s;
  for (const auto& t : all_transforms()) {
    if (!allowed(t.kind, kind) || t.decode_only) continue;
    if (!s.empty()) s += ", ";
    s += t.keyword;
  }
  return s;
}

// strongSwan aliases for canonical keywords.
std::string canonical(std::string_view tok) {
  struct Alias {
    std::string_view from, to;
  };
  static constexpr Alias kAliases[] = {
      {"aes128gcm", "aes128gcm16"},
      {"aes192gcm", "aes192gcm16"},
      {"aes256gcm", "aes256gcm16"},
      {"aes128gcm64", "aes128gcm8"},
      {"aes192gcm64", "aes192gcm8"},
      {"aes256gcm64", "aes256gcm8"},
      {"aes128gcm96", "aes128gcm12"},
      {"aes192gcm96", "aes192gcm12"},
      {"aes256gcm96", "aes256gcm12"},
      {"aes128gcm128", "aes128gcm16"},
      {"aes192gcm128", "aes192gcm16"},
      {"aes256gcm128", "aes256gcm16"},
      {"sha", "sha1"},
      {"sha2_256", "sha256"},
      {"sha2_384", "sha384"},
      {"sha2_512", "sha512"},
      {"prfsha", "prfsha1"},
      {"curve25519", "x25519"},
      {"curve448", "x448"},
      {"chacha20poly1305compat", "chacha20poly1305"},
  };
  std::string lower(tok);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return char(std::tolower(c)); });
  for (const auto& a : kAliases)
    if (lower == a.from) return std::string(a.to);
  return lower;
}

// RFC 7296 2.13 / strongSwan: the prf that matches an integrity algorithm.
const TransformInfo* prf_for_integ(const TransformInfo& integ) {
  switch (integ.id) {
  case 2:
    return find_transform(TransformKind::prf, 2); // sha1 -> prfsha1
  case 5:
    return find_transform(TransformKind::prf, 4); // aesxcbc -> prfaesxcbc
  case 8:
    return find_transform(TransformKind::prf, 8); // aescmac -> prfaescmac
  case 12:
    return find_transform(TransformKind::prf, 5); // sha256 -> prfsha256
  case 13:
    return find_transform(TransformKind::prf, 6); // sha384 -> prfsha384
  case 14:
    return find_transform(TransformKind::prf, 7); // sha512 -> prfsha512
  default:
    return nullptr;
  }
}

void add_unique(std::vector<const TransformInfo*>& v, const TransformInfo* t) {
  if (std::find(v.begin(), v.end(), t) == v.end()) v.push_back(t);
}

} // namespace

Result<ParsedProposal> parse_proposal(std::string_view text, ProposalKind kind) {
  ParsedProposal p;
  if (text.empty())
    return proposal_error(kind,
                          "empty proposal; expected e.g. " +
                              std::string(kind == ProposalKind::ike ? "aes256gcm16-prfsha256-x25519"
                                                                    : "aes256gcm16"));
  size_t start = 0;
  while (start <= text.size()) {
    size_t dash = text.find('-', start);
    if (dash == std::string_view::npos) dash = text.size();
    std::string_view tok = text.substr(start, dash - start);
    start = dash + 1;
    if (tok.empty())
      return proposal_error(kind, "\"" + std::string(text) + "\": empty algorithm between '-'");
    const TransformInfo* t = find_keyword(canonical(tok));
    if (!t || !allowed(t->kind, kind))
      return proposal_error(kind,
                            "\"" + std::string(tok) + "\": " +
                                (t ? std::string(transform_kind_name(t->kind)) +
                                         " algorithms are not allowed in " +
                                         (kind == ProposalKind::ike ? "IKE" : "ESP") + " proposals"
                                   : std::string("unknown algorithm")) +
                                "; expected one of " + expected_list(kind));
    if (t->decode_only)
      return proposal_error(kind, "\"" + std::string(tok) +
                                      "\": ike-decode reads it, but ikekit does not negotiate it;"
                                      " expected one of " +
                                      expected_list(kind));
    switch (t->kind) {
    case TransformKind::encr:
      add_unique(p.encr, t);
      break;
    case TransformKind::integ:
      add_unique(p.integ, t);
      break;
    case TransformKind::prf:
      add_unique(p.prf, t);
      break;
    case TransformKind::ke:
      add_unique(p.ke, t);
      break;
    case TransformKind::esn:
      add_unique(p.esn, t);
      break;
    }
  }

  const std::string quoted = "\"" + std::string(text) + "\": ";
  if (p.encr.empty()) return proposal_error(kind, quoted + "needs an encryption algorithm");
  const bool aead = p.encr.front()->aead;
  for (const auto* e : p.encr)
    if (e->aead != aead)
      return proposal_error(kind, quoted + "AEAD and non-AEAD encryption cannot share a proposal; "
                                           "separate them with ','");

  if (kind == ProposalKind::esp) {
    if (aead && !p.integ.empty())
      return proposal_error(kind, quoted + "\"" + std::string(p.integ.front()->keyword) +
                                      "\": an AEAD proposal takes no integrity algorithm");
    if (!aead && p.integ.empty())
      return proposal_error(kind, quoted + "needs an integrity algorithm (e.g. sha256)");
    if (p.esn.empty()) p.esn.push_back(find_keyword(TransformKind::esn, "noesn"));
    return p;
  }

  // IKE
  if (p.prf.empty())
    for (const auto* i : p.integ)
      if (const auto* prf = prf_for_integ(*i)) add_unique(p.prf, prf);
  if (aead) p.integ.clear(); // only used to derive the prf (strongSwan)
  if (!aead && p.integ.empty())
    return proposal_error(kind, quoted + "needs an integrity algorithm (e.g. sha256)");
  if (p.prf.empty()) return proposal_error(kind, quoted + "needs a prf (e.g. prfsha256)");
  if (p.ke.empty())
    return proposal_error(kind, quoted + "needs a key exchange method (e.g. x25519)");
  return p;
}

Result<std::vector<ParsedProposal>> parse_proposals(std::string_view text, ProposalKind kind) {
  std::vector<ParsedProposal> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string_view::npos) comma = text.size();
    std::string_view one = text.substr(start, comma - start);
    start = comma + 1;
    auto p = parse_proposal(one, kind);
    if (!p) {
      Error e = p.error();
      e.field += "[" + std::to_string(out.size()) + "]";
      return e;
    }
    out.push_back(std::move(*p));
  }
  return out;
}

} // namespace ikekit::crypto
