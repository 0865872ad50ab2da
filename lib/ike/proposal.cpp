// Proposal encoding and selection, RFC 7296 2.7 and 3.3.
//
//   SA payload
//      |
//      +--- Proposal #1 ( Proto ID = ESP(3), SPI size = 4, 7 transforms, SPI = 0x052357bb )
//      |     +-- Transform ENCR ( Name = ENCR_AES_CBC, Key Length = 128 ) ...
//
// "The responder MUST choose a single proposal ... and MUST NOT modify it" except that
// it picks one transform of each type (RFC 7296 2.7).
#include "ike/proposal.hpp"

#include "ike/config.hpp"
#include "wire/ids.hpp"
#include "wire/transform_keyword.hpp"

namespace ikekit::ike {

using crypto::TransformInfo;
using crypto::TransformKind;
using wire::ProtocolId;
using wire::TransformType;

namespace {

const TransformInfo* noesn() {
  static const TransformInfo* t = crypto::find_transform(TransformKind::esn, 0);
  return t;
}

wire::Transform to_wire(const TransformInfo* t) {
  wire::Transform w;
  w.type = TransformType(uint8_t(t->kind));
  w.id = t->id;
  if (t->key_bits) {
    wire::TransformAttribute a;
    a.type = uint16_t(wire::TransformAttr::key_length);
    a.tv = true;
    a.value = t->key_bits;
    w.attributes.push_back(a);
  }
  return w;
}

const TransformInfo* from_wire(const wire::Transform& t) {
  if (uint8_t(t.type) < 1 || uint8_t(t.type) > 5) return nullptr;
  return crypto::find_transform(TransformKind(uint8_t(t.type)), t.id, t.key_length().value_or(0));
}

std::vector<const TransformInfo*> list_of(const crypto::ParsedProposal& p, TransformKind k,
                                          ProtocolId proto) {
  switch (k) {
  case TransformKind::encr:
    return p.encr;
  case TransformKind::integ:
    return p.integ;
  case TransformKind::prf:
    return p.prf;
  case TransformKind::ke:
    return p.ke;
  case TransformKind::esn:
    if (proto == ProtocolId::esp && p.esn.empty()) return {noesn()};
    return p.esn;
  }
  return {};
}

// Picks the transform of kind k; nullopt: no match; a null pointer: absent on both sides.
std::optional<const TransformInfo*> pick(const std::vector<const TransformInfo*>& ours,
                                         const wire::Proposal& offered, TransformKind k,
                                         const TransformInfo* hint) {
  std::vector<const TransformInfo*> theirs;
  bool any = false, only_none = true;
  for (const auto& t : offered.transforms) {
    if (uint8_t(t.type) != uint8_t(k)) continue;
    any = true;
    if (t.id != 0) only_none = false;
    // A decode-only transform (3DES, AES-CCM) is never accepted, whatever is configured.
    if (auto* info = from_wire(t); info && !info->decode_only) theirs.push_back(info);
  }
  if (ours.empty()) {
    // Integrity NONE with an AEAD, or KE NONE: as if absent (RFC 7296 3.3.3).
    if (!any || only_none) return static_cast<const TransformInfo*>(nullptr);
    return std::nullopt;
  }
  if (!any) return std::nullopt;
  auto has = [&](const TransformInfo* t) {
    for (auto* x : theirs)
      if (x == t) return true;
    return false;
  };
  if (hint) {
    for (auto* t : ours)
      if (t == hint && has(t)) return t;
  }
  for (auto* t : ours)
    if (has(t)) return t;
  return std::nullopt;
}

std::optional<Chosen> match(const crypto::ParsedProposal& ours, const wire::Proposal& offered,
                            ProtocolId proto, const TransformInfo* ke_hint, bool ignore_ke) {
  if (offered.protocol != proto) return std::nullopt;
  Chosen c;
  c.number = offered.number;
  c.spi.assign(offered.spi.begin(), offered.spi.end());
  auto encr = pick(ours.encr, offered, TransformKind::encr, nullptr);
  if (!encr || !*encr) return std::nullopt;
  c.encr = *encr;
  auto integ = pick(ours.integ, offered, TransformKind::integ, nullptr);
  if (!integ) return std::nullopt;
  c.integ = *integ;
  if (!c.encr->aead && !c.integ) return std::nullopt;
  if (proto == ProtocolId::ike) {
    auto prf = pick(ours.prf, offered, TransformKind::prf, nullptr);
    if (!prf || !*prf) return std::nullopt;
    c.prf = *prf;
  }
  if (!ignore_ke) {
    auto ke = pick(ours.ke, offered, TransformKind::ke, ke_hint);
    if (!ke) return std::nullopt;
    c.ke = *ke;
    if (proto == ProtocolId::ike && !c.ke) return std::nullopt;
  }
  if (proto == ProtocolId::esp) {
    auto esn = pick(list_of(ours, TransformKind::esn, proto), offered, TransformKind::esn, nullptr);
    if (!esn) {
      // An offer without ESN transform: treat as NO_ESN.
      bool any = false;
      for (const auto& t : offered.transforms)
        any = any || t.type == TransformType::esn;
      if (any) return std::nullopt;
    } else {
      c.esn = *esn && (*esn)->id == 1;
    }
  }
  return c;
}

} // namespace

std::string keyword_of(const crypto::TransformInfo* t) {
  return t ? std::string(t->keyword) : std::string();
}

std::string Chosen::to_string() const {
  std::string s;
  for (auto* t : {encr, integ, prf, ke}) {
    if (!t) continue;
    if (!s.empty()) s += '-';
    s += t->keyword;
  }
  if (esn) s += "-esn";
  return s;
}

wire::SaPayload encode_proposals(const std::vector<crypto::ParsedProposal>& ours, ProtocolId proto,
                                 ByteView spi, const TransformInfo* first_ke, bool with_ke) {
  wire::SaPayload sa;
  uint8_t n = 1;
  for (const auto& p : ours) {
    wire::Proposal w;
    w.number = n++;
    w.protocol = proto;
    w.spi = spi;
    for (auto k : {TransformKind::encr, TransformKind::integ, TransformKind::prf, TransformKind::ke,
                   TransformKind::esn}) {
      if (k == TransformKind::ke && !with_ke) continue;
      if (k == TransformKind::prf && proto != ProtocolId::ike) continue;
      if (k == TransformKind::esn && proto != ProtocolId::esp) continue;
      auto list = list_of(p, k, proto);
      if (k == TransformKind::ke && first_ke) {
        for (auto* t : list)
          if (t == first_ke) w.transforms.push_back(to_wire(t));
        for (auto* t : list)
          if (t != first_ke) w.transforms.push_back(to_wire(t));
        continue;
      }
      for (auto* t : list)
        w.transforms.push_back(to_wire(t));
    }
    sa.proposals.push_back(std::move(w));
  }
  return sa;
}

wire::SaPayload encode_chosen(const Chosen& c, ProtocolId proto, ByteView spi) {
  wire::Proposal w;
  w.number = c.number;
  w.protocol = proto;
  w.spi = spi;
  for (auto* t : {c.encr, c.integ, c.prf, c.ke})
    if (t) w.transforms.push_back(to_wire(t));
  if (proto == ProtocolId::esp)
    w.transforms.push_back(to_wire(crypto::find_transform(TransformKind::esn, c.esn ? 1 : 0)));
  wire::SaPayload sa;
  sa.proposals.push_back(std::move(w));
  return sa;
}

std::optional<Chosen> select_proposal(const std::vector<crypto::ParsedProposal>& ours,
                                      const wire::SaPayload& offered, ProtocolId proto,
                                      const TransformInfo* ke_hint, bool ignore_ke) {
  // Prefer a match that uses the hinted KE group (saves an INVALID_KE_PAYLOAD round trip).
  if (ke_hint) {
    for (const auto& o : ours)
      for (const auto& p : offered.proposals)
        if (auto c = match(o, p, proto, ke_hint, ignore_ke); c && c->ke == ke_hint) return c;
  }
  for (const auto& o : ours)
    for (const auto& p : offered.proposals)
      if (auto c = match(o, p, proto, ke_hint, ignore_ke)) return c;
  return std::nullopt;
}

std::optional<Chosen> check_chosen(const std::vector<crypto::ParsedProposal>& ours,
                                   const wire::SaPayload& answer, ProtocolId proto,
                                   bool ignore_ke) {
  if (answer.proposals.size() != 1) return std::nullopt;
  const auto& p = answer.proposals[0];
  // Exactly one transform per type.
  int counts[6] = {};
  for (const auto& t : p.transforms)
    if (uint8_t(t.type) >= 1 && uint8_t(t.type) <= 5) ++counts[uint8_t(t.type)];
  for (int k = 1; k <= 5; ++k)
    if (counts[k] > 1) return std::nullopt;
  if (p.number < 1 || p.number > ours.size()) return std::nullopt;
  return match(ours[p.number - 1], p, proto, nullptr, ignore_ke);
}

bool proposals_allow(const std::vector<crypto::ParsedProposal>& ours, const Chosen& chosen,
                     ProtocolId proto) {
  wire::SaPayload one = encode_chosen(chosen, proto, {});
  for (const auto& o : ours)
    if (match(o, one.proposals[0], proto, nullptr, false)) return true;
  return false;
}

std::vector<std::string> proposal_strings(const std::vector<crypto::ParsedProposal>& ours) {
  std::vector<std::string> v;
  v.reserve(ours.size());
  for (const auto& p : ours)
    v.push_back(proposal_string(p));
  return v;
}

std::vector<std::string> proposal_strings(const wire::SaPayload& offered) {
  std::vector<std::string> v;
  for (const auto& p : offered.proposals) {
    std::string s;
    for (const auto& t : p.transforms) {
      if (!s.empty()) s += '-';
      const auto* info = from_wire(t);
      s += info ? std::string(info->keyword) : wire::transform_keyword_or_number(t);
    }
    v.push_back(s);
  }
  return v;
}

bool proposals_allow_ke(const std::vector<crypto::ParsedProposal>& ours, uint16_t group) {
  for (const auto& p : ours)
    for (auto* t : p.ke)
      if (t->id == group) return true;
  return false;
}

} // namespace ikekit::ike
