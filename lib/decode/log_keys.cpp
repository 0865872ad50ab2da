// Matching logged key blocks to the SAs of a capture (see log_keys.hpp): by evidence
// the key schedule gives (RFC 7296 2.14, 2.17, 2.18), never by position alone.
#include "decode/log_keys.hpp"

#include "base/hex.hpp"
#include "decode/key_store.hpp"
#include "ike/keymat.hpp"

#include <algorithm>
#include <map>
#include <openssl/crypto.h>

namespace ikekit::decode {

namespace {

bool same(const SecretBytes& a, const SecretBytes& b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.reveal().data(), b.reveal().data(), a.size()) == 0;
}

const SecretBytes& logged_or(const SecretBytes& logged, const SecretBytes& derived) {
  return logged.empty() ? derived : logged;
}

// The keys from the logged DH secret: RFC 7296 2.14, or 2.18 for a rekeyed IKE SA.
std::optional<ike::IkeKeys> keys_from_dh(const LoggedIkeKeys& b, const IkeSaEvidence& ev,
                                         const ike::IkeTransforms& t) {
  auto k = ev.old_sk_d && ev.old_prf
               ? ike::derive_rekeyed_ike_keys(*ev.old_prf, *ev.old_sk_d, t, b.dh_secret.reveal(),
                                              ev.ni, ev.nr, ev.spi_i, ev.spi_r)
               : ike::derive_ike_keys(t, ev.ni, ev.nr, b.dh_secret.reveal(), ev.spi_i, ev.spi_r);
  if (!k) return std::nullopt;
  return std::move(*k);
}

} // namespace

std::optional<IkeSaKeys> LogKeys::try_ike(LoggedIkeKeys& b, const IkeSaEvidence& ev) const {
  if (!ev.encr || !ev.prf) return std::nullopt;
  const ike::IkeTransforms t{ev.encr, ev.encr->aead ? nullptr : ev.integ, ev.prf};
  const bool spis_tie = b.spis && *b.spis == std::make_pair(ev.spi_i, ev.spi_r);
  const bool nonces = !ev.ni.empty() && !ev.nr.empty();
  std::optional<ike::IkeKeys> derived;
  if (!b.skeyseed.empty() && nonces) {
    auto k = ike::derive_ike_keys_from_skeyseed(t, b.skeyseed, ev.ni, ev.nr, ev.spi_i, ev.spi_r);
    if (!k) return std::nullopt;
    // The logged keys must be the ones this SA's SKEYSEED, nonces and SPIs give.
    bool proven = spis_tie;
    if (!b.sk_d.empty())
      proven = same(k->sk_d, b.sk_d);
    else if (!b.sk_ei.empty())
      proven = same(k->sk_ei, b.sk_ei);
    else if (!b.dh_secret.empty())
      if (auto from_dh = keys_from_dh(b, ev, t)) proven = same(from_dh->skeyseed, b.skeyseed);
    if (!proven) return std::nullopt;
    derived = std::move(*k);
  } else if (!b.dh_secret.empty() && nonces && spis_tie) {
    derived = keys_from_dh(b, ev, t);
  }
  if (!derived && !(spis_tie && !b.sk_ei.empty() && !b.sk_er.empty())) return std::nullopt;
  const ike::IkeKeys none;
  const ike::IkeKeys& d = derived ? *derived : none;
  IkeSaKeys out;
  out.spi_i = ev.spi_i;
  out.spi_r = ev.spi_r;
  out.sk_d = logged_or(b.sk_d, d.sk_d);
  out.sk_ai = logged_or(b.sk_ai, d.sk_ai);
  out.sk_ar = logged_or(b.sk_ar, d.sk_ar);
  out.sk_ei = logged_or(b.sk_ei, d.sk_ei);
  out.sk_er = logged_or(b.sk_er, d.sk_er);
  out.encr = ev.encr;
  out.integ = t.integ;
  out.prf = ev.prf;
  out.source = KeySource::key_file;
  return out;
}

std::optional<IkeSaKeys> LogKeys::match_ike(const IkeSaEvidence& ev) {
  const auto spis = std::make_pair(ev.spi_i, ev.spi_r);
  // Blocks that logged these SPIs first; then the others, oldest unmatched first.
  for (auto& b : ike_)
    if (!b.matched && b.spis == spis)
      if (auto k = try_ike(b, ev)) {
        b.matched = true;
        return k;
      }
  while (next_ike_ < ike_.size() && ike_[next_ike_].matched)
    ++next_ike_;
  for (size_t i = next_ike_; i < ike_.size(); ++i) {
    LoggedIkeKeys& b = ike_[i];
    if (b.matched || (b.spis && *b.spis != spis)) continue;
    if (auto k = try_ike(b, ev)) {
      b.matched = true;
      return k;
    }
  }
  return std::nullopt;
}

std::optional<std::pair<ChildSaKeys, ChildSaKeys>> LogKeys::match_child(const ChildSaEvidence& ev) {
  if (!ev.encr || ev.ni.empty() || ev.nr.empty()) return std::nullopt;
  Bytes nonces(ev.ni.begin(), ev.ni.end());
  nonces.insert(nonces.end(), ev.nr.begin(), ev.nr.end());
  const crypto::TransformInfo* integ = ev.encr->aead ? nullptr : ev.integ;
  for (auto& b : child_) {
    const ByteView seed = b.seed.reveal();
    if (b.matched || seed.size() < nonces.size() ||
        !std::equal(nonces.begin(), nonces.end(), seed.end() - long(nonces.size())))
      continue;
    // RFC 7296 2.17: KEYMAT = prf+(SK_d, seed); the logged keys if there, else derived.
    ike::ChildKeys keys;
    if (!b.encr_i.empty() && !b.encr_r.empty()) {
      keys = {b.encr_i, b.integ_i, b.encr_r, b.integ_r};
    } else if (ev.prf && ev.sk_d && !ev.sk_d->empty()) {
      auto k = ike::derive_child_keys(*ev.prf, *ev.sk_d, {ev.encr, integ},
                                      seed.first(seed.size() - nonces.size()), ev.ni, ev.nr);
      if (!k) continue;
      keys = std::move(*k);
    } else {
      continue;
    }
    b.matched = true;
    ChildSaKeys to_responder, to_initiator;
    to_responder.spi = ev.spi_from_responder;
    to_responder.dst = ev.responder;
    to_responder.src = ev.initiator;
    to_responder.encr_key = std::move(keys.encr_i);
    to_responder.integ_key = std::move(keys.integ_i);
    to_initiator.spi = ev.spi_from_initiator;
    to_initiator.dst = ev.initiator;
    to_initiator.src = ev.responder;
    to_initiator.encr_key = std::move(keys.encr_r);
    to_initiator.integ_key = std::move(keys.integ_r);
    for (ChildSaKeys* k : {&to_responder, &to_initiator}) {
      k->encr = ev.encr;
      k->integ = integ;
      k->source = KeySource::key_file;
    }
    return std::make_pair(std::move(to_responder), std::move(to_initiator));
  }
  return std::nullopt;
}

std::optional<ChildSaKeys>
LogKeys::match_installed(uint32_t spi,
                         const std::function<bool(const IpAddress&, const IpAddress&)>& at) {
  for (auto& b : child_) {
    if (!b.initiator) continue;
    for (bool inbound : {true, false}) {
      const auto& inst = inbound ? b.inbound : b.outbound;
      if (!inst || inst->spi != spi || !at(inst->src, inst->dst)) continue;
      // Keys "initiator" protect what the exchange initiator sends (RFC 7296 2.17): the
      // logging host's outbound SA when it initiated, its inbound SA otherwise.
      const bool from_initiator = inbound != *b.initiator;
      const SecretBytes& encr = from_initiator ? b.encr_i : b.encr_r;
      if (encr.empty()) continue;
      ChildSaKeys k;
      k.spi = spi;
      k.dst = inst->dst;
      k.src = inst->src;
      k.encr_key = encr;
      k.integ_key = from_initiator ? b.integ_i : b.integ_r;
      k.encr = b.encr;
      k.integ = b.encr && b.encr->aead ? nullptr : b.integ;
      k.source = KeySource::key_file;
      b.matched = true;
      return k;
    }
  }
  return std::nullopt;
}

std::vector<UnmatchedKeys> LogKeys::unmatched() const {
  std::vector<UnmatchedKeys> out;
  for (const auto& b : ike_) {
    if (b.matched) continue;
    UnmatchedKeys u{file_, b.line, "ike_sa", b.spis, {}, {}, {}};
    if (b.skeyseed.empty() && !b.spis)
      u.reason = "the log has neither SKEYSEED nor the SPIs for these keys";
    else
      u.reason = "no IKE SA in the capture has keys that follow from this SKEYSEED "
                 "(its IKE_SA_INIT or rekeying CREATE_CHILD_SA is not in the capture)";
    out.push_back(std::move(u));
  }
  for (const auto& b : child_) {
    if (b.matched) continue;
    UnmatchedKeys u{file_, b.line, "child_sa", {}, {}, {}, {}};
    if (b.inbound) u.spi_in = b.inbound->spi;
    if (b.outbound) u.spi_out = b.outbound->spi;
    u.reason = b.encr_i.empty() || b.encr_r.empty()
                   ? "the log lacks this Child SA's encryption keys"
                   : "no exchange in the capture has these nonces, and no ESP packet these SPIs";
    out.push_back(std::move(u));
  }
  return out;
}

// --- Libreswan pluto ----------------------------------------------------------------

namespace {

// "0x0123..." -> bytes; empty on a bad token.
Bytes hex_token(std::string_view tok) {
  if (tok.substr(0, 2) != "0x") return {};
  auto b = from_hex(tok.substr(2), "key");
  return b ? std::move(*b) : Bytes{};
}

} // namespace

// programs/pluto ikev2_log_parentSA() with plutodebug=private (Libreswan 3.x to 4.x):
//   | ikev2 I 0x<SPIi> 0x<SPIr> <integ>:0x<SK_ai> <encr><bits>:0x<SK_ei>
//   | ikev2 R 0x<SPIi> 0x<SPIr> <integ>:0x<SK_ar> <encr><bits>:0x<SK_er>
LogKeys parse_pluto_log(std::string_view text, std::string_view name) {
  LogKeys keys{std::string(name)};
  std::map<std::pair<uint64_t, uint64_t>, size_t> by_spis;
  size_t no = 0;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    ++no;
    size_t at = line.find("ikev2 I 0x");
    if (at == std::string_view::npos) at = line.find("ikev2 R 0x");
    if (at == std::string_view::npos) continue;
    const bool initiator = line[at + 6] == 'I';
    std::vector<std::string_view> tok;
    for (std::string_view rest = line.substr(at + 8); !rest.empty();) {
      size_t sp = rest.find(' ');
      if (sp != 0) tok.push_back(rest.substr(0, sp));
      rest = sp == std::string_view::npos ? std::string_view() : rest.substr(sp + 1);
    }
    Bytes spi_i = tok.size() >= 4 ? hex_token(tok[0]) : Bytes{};
    Bytes spi_r = tok.size() >= 4 ? hex_token(tok[1]) : Bytes{};
    size_t ac = tok.size() >= 4 ? tok[2].find(':') : std::string_view::npos;
    size_t ec = tok.size() >= 4 ? tok[3].find(':') : std::string_view::npos;
    if (spi_i.size() != 8 || spi_r.size() != 8 || ac == std::string_view::npos ||
        ec == std::string_view::npos) {
      keys.problems().push_back(make_error(Errc::bad_value,
                                           std::string(name) + ":" + std::to_string(no) + ".ikev2",
                                           "expected \"ikev2 I|R 0xSPIi 0xSPIr integ:0xKEY "
                                           "encr:0xKEY\""));
      continue;
    }
    Bytes a = hex_token(tok[2].substr(ac + 1)), e = hex_token(tok[3].substr(ec + 1));
    auto spis = std::make_pair(load_be64(spi_i.data()), load_be64(spi_r.data()));
    auto [it, fresh] = by_spis.emplace(spis, keys.ike().size());
    if (fresh) {
      keys.ike().push_back(LoggedIkeKeys{});
      keys.ike().back().line = no;
      keys.ike().back().spis = spis;
    }
    LoggedIkeKeys& b = keys.ike()[it->second];
    (initiator ? b.sk_ai : b.sk_ar) = SecretBytes(ByteView(a));
    (initiator ? b.sk_ei : b.sk_er) = SecretBytes(ByteView(e));
    secure_zero(a.data(), a.size());
    secure_zero(e.data(), e.size());
  }
  return keys;
}

bool looks_like_pluto_log(std::string_view text) {
  return text.find("ikev2 I 0x") != std::string_view::npos ||
         text.find("ikev2 R 0x") != std::string_view::npos;
}

} // namespace ikekit::decode
