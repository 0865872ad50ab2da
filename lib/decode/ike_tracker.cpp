#include "decode/ike_tracker.hpp"

#include "base/hex.hpp"
#include "decode/sk_opener.hpp"
#include "ike/keymat.hpp"
#include "wire/payload_nonce.hpp"
#include "wire/payload_notify.hpp"
#include "wire/payload_sa.hpp"
#include "wire/payload_sk.hpp"

namespace ikekit::decode {

namespace {

using crypto::TransformKind;
using wire::ExchangeType;
using wire::PayloadType;

struct Chosen {
  const crypto::TransformInfo* encr = nullptr;
  const crypto::TransformInfo* integ = nullptr;
  const crypto::TransformInfo* prf = nullptr;
  const crypto::TransformInfo* ke = nullptr;
  uint8_t protocol = 0;
  Bytes spi;
};

// The first proposal of an SA payload (a response carries exactly one, RFC 7296 3.3).
std::optional<Chosen> first_proposal(const wire::RawPayload& raw) {
  auto sa = wire::parse_sa(raw.body);
  if (!sa || sa->proposals.empty()) return std::nullopt;
  const auto& p = sa->proposals.front();
  Chosen c;
  c.protocol = uint8_t(p.protocol);
  c.spi.assign(p.spi.begin(), p.spi.end());
  for (const auto& t : p.transforms) {
    uint16_t bits = t.key_length().value_or(0);
    switch (t.type) {
    case wire::TransformType::encr:
      if (!c.encr) c.encr = crypto::find_transform(TransformKind::encr, t.id, bits);
      break;
    case wire::TransformType::integ:
      if (!c.integ && t.id != 0) c.integ = crypto::find_transform(TransformKind::integ, t.id);
      break;
    case wire::TransformType::prf:
      if (!c.prf) c.prf = crypto::find_transform(TransformKind::prf, t.id);
      break;
    case wire::TransformType::ke:
      if (!c.ke) c.ke = crypto::find_transform(TransformKind::ke, t.id);
      break;
    default:
      break;
    }
  }
  return c;
}

const wire::RawPayload* find(const std::vector<wire::RawPayload>& ps, PayloadType t) {
  for (const auto& p : ps)
    if (p.payload_type() == t) return &p;
  return nullptr;
}

Bytes nonce_of(const wire::RawPayload* p) {
  if (!p) return {};
  auto n = wire::parse_nonce(p->body);
  if (!n) return {};
  return Bytes(n->data.begin(), n->data.end());
}

uint32_t spi32(const Bytes& b) { return b.size() == 4 ? load_be32(b.data()) : 0; }

bool has_notify(const std::vector<wire::RawPayload>& ps, wire::NotifyType type) {
  for (const auto& p : ps) {
    if (p.payload_type() != PayloadType::n) continue;
    auto n = wire::parse_notify(p.body);
    if (n && n->type == type) return true;
  }
  return false;
}

} // namespace

IkeSaInfo::IkeSaInfo() = default;
IkeSaInfo::IkeSaInfo(IkeSaInfo&&) noexcept = default;
IkeSaInfo& IkeSaInfo::operator=(IkeSaInfo&&) noexcept = default;
IkeSaInfo::~IkeSaInfo() = default;

std::optional<std::string> IkeTracker::child_note(uint32_t spi) const {
  auto it = child_notes_.find(spi);
  if (it == child_notes_.end()) return std::nullopt;
  return it->second;
}

std::optional<IkeTracker::ChildAlgorithms> IkeTracker::child_algorithms(uint32_t spi) const {
  auto it = child_algorithms_.find(spi);
  if (it == child_algorithms_.end()) return std::nullopt;
  return it->second;
}

IkeSaInfo& IkeTracker::sa_for(const wire::IkeHeader& h) {
  auto key = std::make_pair(h.spi_i, h.spi_r);
  auto it = sas_.find(key);
  if (it != sas_.end()) return it->second;
  // The first message with the responder's SPI: carry over what the half-open SA learnt.
  auto half = sas_.find({h.spi_i, 0});
  IkeSaInfo info;
  if (half != sas_.end() && h.spi_r != 0) {
    info = std::move(half->second);
    sas_.erase(half);
  }
  info.spi_i = h.spi_i;
  info.spi_r = h.spi_r;
  return sas_.emplace(key, std::move(info)).first->second;
}

// RFC 7296 1.2: the request offers SA, KE, Ni; the response chooses SA and adds KE, Nr.
void IkeTracker::on_ike_sa_init(const PacketMeta& meta, const wire::Message& msg) {
  const auto& h = msg.header;
  if (!h.response()) {
    IkeSaInfo& sa = sa_for(wire::IkeHeader{.spi_i = h.spi_i, .spi_r = 0});
    sa.ni = nonce_of(msg.find(PayloadType::nonce));
    sa.initiator = meta.src.address;
    sa.responder = meta.dst.address;
    return;
  }
  if (h.spi_r == 0) return; // an error response (e.g. NO_PROPOSAL_CHOSEN)
  const auto* sa_payload = msg.find(PayloadType::sa);
  if (!sa_payload) return; // COOKIE or INVALID_KE_PAYLOAD: the initiator starts again
  IkeSaInfo& sa = sa_for(h);
  sa.nr = nonce_of(msg.find(PayloadType::nonce));
  if (!sa.initiator) sa.initiator = meta.dst.address;
  if (!sa.responder) sa.responder = meta.src.address;
  if (auto c = first_proposal(*sa_payload)) {
    sa.encr = c->encr;
    sa.integ = c->integ;
    sa.prf = c->prf;
    sa.ke = c->ke;
  }
}

void IkeTracker::process(const PacketMeta& meta, const wire::Message& msg, IkeRecord& record) {
  const auto& h = msg.header;
  if (h.exchange_type == ExchangeType::ike_sa_init) {
    on_ike_sa_init(meta, msg);
    return;
  }
  const wire::RawPayload* enc = msg.encrypted();
  if (!enc) return;
  IkeSaInfo& sa = sa_for(h);
  if (!sa.initiator) { // capture started after IKE_SA_INIT
    sa.initiator = h.initiator() ? meta.src.address : meta.dst.address;
    sa.responder = h.initiator() ? meta.dst.address : meta.src.address;
  }
  EncryptedInfo info = open(sa, msg, *enc);
  if (info.inner) {
    on_inner(sa, meta, h, *info.inner);
    if (info.decrypted && info.integrity == Integrity::ok) {
      const bool update = h.exchange_type == ExchangeType::informational && !h.response() &&
                          has_notify(*info.inner, wire::NotifyType::update_sa_addresses);
      follow(sa, meta, h, update, record.transport);
    }
  }
  record.encrypted = std::move(info);
  record.sa_moved = sa.moved;
}

EncryptedInfo IkeTracker::open(IkeSaInfo& sa, const wire::Message& msg,
                               const wire::RawPayload& enc) {
  const auto& h = msg.header;
  EncryptedInfo info;
  bool fragment = enc.payload_type() == PayloadType::skf;
  if (fragment) {
    auto skf = wire::parse_skf(enc);
    if (!skf) {
      info.problem = skf.error();
      return info;
    }
    info.fragment_number = skf->fragment_number;
    info.total_fragments = skf->total_fragments;
    if (skf->total_fragments > kMaxIkeFragments) {
      ++dropped_fragments_;
      info.problem =
          make_error(Errc::unsupported, "skf.total_fragments",
                     std::to_string(skf->total_fragments) + " fragments: over the limit of " +
                         std::to_string(kMaxIkeFragments) + ", not reassembled");
      return info;
    }
  }

  IkeSaKeys* keys = keys_.find_ike(h.spi_i, h.spi_r);
  if (!keys) keys = keys_from_log(sa);
  if (!keys) {
    info.problem = make_error(Errc::not_found, "keys",
                              "no keys for IKE SA " + to_hex_u64(h.spi_i) + "_i " +
                                  to_hex_u64(h.spi_r) + "_r");
    return info;
  }
  std::unique_ptr<SkOpener>& opener = h.initiator() ? sa.opener_i : sa.opener_r;
  if (!opener) {
    const crypto::TransformInfo* encr = keys->encr ? keys->encr : sa.encr;
    const crypto::TransformInfo* integ = keys->encr ? keys->integ : sa.integ;
    if (!encr) {
      info.problem = make_error(Errc::not_found, "algorithms",
                                "the key file names no algorithms and the capture has no "
                                "IKE_SA_INIT response for this IKE SA");
      return info;
    }
    auto o = SkOpener::create(encr, h.initiator() ? keys->sk_ei : keys->sk_er, integ,
                              h.initiator() ? keys->sk_ai : keys->sk_ar);
    if (!o) {
      info.problem = o.error();
      return info;
    }
    opener = std::make_unique<SkOpener>(std::move(*o));
  }

  Bytes part;
  auto opened = opener->open(msg.bytes, enc, part);
  info.integrity = opened.integrity;
  if (!opened.error.has_value()) {
    info.decrypted = true;
  } else {
    info.problem = opened.error;
    return info;
  }

  uint8_t first_inner = enc.next_type;
  if (fragment) {
    auto whole = reassemble(sa, h, enc.next_type, std::move(part), info);
    if (!whole) return info;
    first_inner = *whole;
  } else {
    plain_ = std::move(part);
  }
  auto inner =
      wire::parse_payload_chain(plain_, first_inner, 0, {.reject_unknown_critical = false});
  if (inner)
    info.inner = std::move(*inner);
  else
    info.inner_error = inner.error();
  return info;
}

// RFC 7383 2.6: the fragments of one message are kept until all Total Fragments are
// there; each costs O(log n) (a map by fragment number), the whole is joined once.
std::optional<uint8_t> IkeTracker::reassemble(IkeSaInfo& sa, const wire::IkeHeader& h,
                                              uint8_t next_type, Bytes part, EncryptedInfo& info) {
  const auto key = std::make_pair(h.message_id, h.flags);
  auto it = sa.fragments.find(key);
  if (it == sa.fragments.end()) {
    // Full: the kMaxReassemblies highest message ids stay (lower ones are older).
    if (sa.fragments.size() >= kMaxReassemblies) {
      if (key < sa.fragments.begin()->first) {
        ++dropped_fragments_;
        info.problem =
            make_error(Errc::unsupported, "skf",
                       "message " + std::to_string(h.message_id) + " is older than the " +
                           std::to_string(kMaxReassemblies) + " messages in reassembly: dropped");
        return std::nullopt;
      }
      dropped_fragments_ += sa.fragments.begin()->second.parts.size();
      sa.fragments.erase(sa.fragments.begin());
    }
    it = sa.fragments.emplace(key, IkeSaInfo::Fragments{}).first;
  }
  auto& frags = it->second;
  frags.total = info.total_fragments;
  if (info.fragment_number == 1) frags.first_inner = next_type;
  auto& slot = frags.parts[info.fragment_number];
  frags.bytes += part.size() - slot.size();
  slot = std::move(part);
  if (frags.bytes > kMaxIkeMessageBytes) {
    dropped_fragments_ += frags.parts.size();
    sa.fragments.erase(it);
    info.problem =
        make_error(Errc::bad_length, "skf",
                   "fragments of message " + std::to_string(h.message_id) + " exceed " +
                       std::to_string(kMaxIkeMessageBytes) + " bytes: dropped, not reassembled");
    return std::nullopt;
  }
  if (frags.parts.size() != frags.total) return std::nullopt; // RFC 7383 2.6: wait for the rest
  plain_.clear();
  plain_.reserve(frags.bytes);
  for (auto& [n, bytes] : frags.parts)
    plain_.insert(plain_.end(), bytes.begin(), bytes.end());
  const uint8_t first_inner = frags.first_inner;
  sa.fragments.erase(it);
  info.completes_message = true;
  return first_inner;
}

void IkeTracker::on_inner(IkeSaInfo& sa, const PacketMeta& meta, const wire::IkeHeader& h,
                          const std::vector<wire::RawPayload>& inner) {
  const wire::RawPayload* sa_payload = find(inner, PayloadType::sa);
  if (h.exchange_type == ExchangeType::ike_auth) {
    if (has_notify(inner, wire::NotifyType::mobike_supported))
      (h.initiator() ? sa.mobike_i : sa.mobike_r) = true;
    // RFC 7296 1.2: the Child SA offered in the IKE_AUTH request is chosen in the
    // last IKE_AUTH response (after EAP rounds, if any).
    if (!sa_payload) return;
    auto c = first_proposal(*sa_payload);
    if (!c) return;
    if (!h.response()) {
      sa.auth_child_spi = spi32(c->spi);
      return;
    }
    if (!sa.auth_child_spi || !sa.initiator || !sa.responder) return;
    derive_children(sa, sa.ni, sa.nr, *sa.auth_child_spi, spi32(c->spi), *sa.initiator,
                    *sa.responder, *sa_payload);
    return;
  }
  if (h.exchange_type != ExchangeType::create_child_sa || !sa_payload) return;
  // RFC 7296 1.3: either peer may start CREATE_CHILD_SA; remember who did.
  bool by_original_initiator = h.initiator() != h.response();
  auto key = std::make_pair(h.message_id, by_original_initiator);
  auto c = first_proposal(*sa_payload);
  if (!c) return;
  if (!h.response()) {
    IkeSaInfo::PendingCreate p;
    p.nonce = nonce_of(find(inner, PayloadType::nonce));
    p.spi = c->spi;
    p.has_ke = find(inner, PayloadType::ke) != nullptr;
    p.protocol = c->protocol;
    p.from = meta.src.address;
    p.to = meta.dst.address;
    sa.pending[key] = std::move(p);
    return;
  }
  auto it = sa.pending.find(key);
  if (it == sa.pending.end()) return;
  IkeSaInfo::PendingCreate req = std::move(it->second);
  sa.pending.erase(it);
  Bytes nr = nonce_of(find(inner, PayloadType::nonce));
  if (c->protocol == uint8_t(wire::ProtocolId::ike))
    return on_ike_sa_rekeyed(sa, meta, req, *sa_payload, std::move(nr));
  if (children_from_log(sa, req.nonce, nr, spi32(req.spi), spi32(c->spi), req.from, req.to, c->encr,
                        c->integ)) {
    child_algorithms_[spi32(req.spi)] = {c->encr, c->integ};
    child_algorithms_[spi32(c->spi)] = {c->encr, c->integ};
    own_children(sa, spi32(req.spi), spi32(c->spi), req.from, req.to);
    return;
  }
  if (req.has_ke || find(inner, PayloadType::ke)) {
    child_algorithms_[spi32(req.spi)] = {c->encr, c->integ};
    child_algorithms_[spi32(c->spi)] = {c->encr, c->integ};
    std::string note = "Child SA created with PFS (KE in CREATE_CHILD_SA): its keys need the "
                       "new shared secret, so they must come from a key file";
    child_notes_[spi32(req.spi)] = note;
    child_notes_[spi32(c->spi)] = note;
    return;
  }
  derive_children(sa, req.nonce, nr, spi32(req.spi), spi32(c->spi), req.from, req.to, *sa_payload);
}

// RFC 7296 2.18: a new IKE SA; its keys need the new g^ir, so they must come from a key
// file. Record its algorithms so such keys need not name them.
void IkeTracker::on_ike_sa_rekeyed(IkeSaInfo& sa, const PacketMeta& meta,
                                   const IkeSaInfo::PendingCreate& req,
                                   const wire::RawPayload& chosen_sa, Bytes nr) {
  auto c = first_proposal(chosen_sa);
  if (!c || req.spi.size() != 8 || c->spi.size() != 8) return;
  wire::IkeHeader nh{.spi_i = load_be64(req.spi.data()), .spi_r = load_be64(c->spi.data())};
  IkeSaInfo& fresh = sa_for(nh);
  fresh.ni = req.nonce;
  fresh.nr = std::move(nr);
  fresh.encr = c->encr;
  fresh.integ = c->integ;
  fresh.prf = c->prf;
  fresh.ke = c->ke;
  fresh.initiator = req.from;
  fresh.responder = req.to;
  fresh.rekeyed_from = std::make_pair(sa.spi_i, sa.spi_r);
  sa.rekeyed_to = std::make_pair(nh.spi_i, nh.spi_r);
  // What IKE_AUTH negotiated stays with the new IKE SA, MOBIKE too.
  fresh.mobike_i = sa.mobike_i;
  fresh.mobike_r = sa.mobike_r;
  // Where the new IKE SA is: between the peers of this exchange, its initiator the one
  // that started it (this response goes to it).
  fresh.at_i = meta.dst;
  fresh.at_r = meta.src;
}

void IkeTracker::own_children(const IkeSaInfo& sa, uint32_t spi_from_initiator,
                              uint32_t spi_from_responder, const IpAddress& initiator,
                              const IpAddress& responder) {
  // RFC 7296 2.17: the SPI each side chose is the one the other side sends to.
  keys_.set_owner(spi_from_responder, responder, {sa.spi_i, sa.spi_r});
  keys_.set_owner(spi_from_initiator, initiator, {sa.spi_i, sa.spi_r});
}

IkeSaKeys* IkeTracker::keys_from_log(IkeSaInfo& sa) {
  if (keys_.logs().empty() || sa.log_keys_tried) return nullptr;
  sa.log_keys_tried = true;
  IkeSaEvidence ev;
  ev.spi_i = sa.spi_i;
  ev.spi_r = sa.spi_r;
  ev.ni = sa.ni;
  ev.nr = sa.nr;
  ev.encr = sa.encr;
  ev.integ = sa.integ;
  ev.prf = sa.prf;
  if (sa.rekeyed_from) {
    const IkeSaKeys* old = keys_.find_ike(sa.rekeyed_from->first, sa.rekeyed_from->second);
    auto old_sa = sas_.find(*sa.rekeyed_from);
    if (old) ev.old_sk_d = &old->sk_d;
    ev.old_prf = old && old->prf ? old->prf : old_sa != sas_.end() ? old_sa->second.prf : nullptr;
  }
  return keys_.resolve_ike(ev);
}

bool IkeTracker::children_from_log(const IkeSaInfo& sa, ByteView ni, ByteView nr,
                                   uint32_t spi_from_initiator, uint32_t spi_from_responder,
                                   const IpAddress& initiator, const IpAddress& responder,
                                   const crypto::TransformInfo* encr,
                                   const crypto::TransformInfo* integ) {
  if (keys_.logs().empty()) return false;
  const IkeSaKeys* keys = keys_.find_ike(sa.spi_i, sa.spi_r);
  ChildSaEvidence ev{ni,   nr,   spi_from_initiator, spi_from_responder, initiator, responder,
                     encr, integ};
  ev.prf = keys && keys->prf ? keys->prf : sa.prf;
  ev.sk_d = keys ? &keys->sk_d : nullptr;
  return keys_.resolve_child(ev);
}

// RFC 7296 2.17: KEYMAT = prf+(SK_d, Ni | Nr); keys for the initiator-to-responder SA
// (the SPI the responder chose) come first.
void IkeTracker::derive_children(IkeSaInfo& sa, ByteView ni, ByteView nr,
                                 uint32_t spi_from_initiator, uint32_t spi_from_responder,
                                 const IpAddress& initiator, const IpAddress& responder,
                                 const wire::RawPayload& chosen_sa) {
  auto c = first_proposal(chosen_sa);
  if (c) {
    child_algorithms_[spi_from_initiator] = {c->encr, c->integ};
    child_algorithms_[spi_from_responder] = {c->encr, c->integ};
    if (children_from_log(sa, ni, nr, spi_from_initiator, spi_from_responder, initiator, responder,
                          c->encr, c->integ))
      return own_children(sa, spi_from_initiator, spi_from_responder, initiator, responder);
  }
  IkeSaKeys* keys = keys_.find_ike(sa.spi_i, sa.spi_r);
  const crypto::TransformInfo* prf = keys && keys->prf ? keys->prf : sa.prf;
  auto note = [&](const std::string& why) {
    child_notes_[spi_from_initiator] = why;
    child_notes_[spi_from_responder] = why;
  };
  if (!c || !c->encr) return note("the Child SA's encryption algorithm is not supported");
  if (!keys || keys->sk_d.empty()) return note("no SK_d for the IKE SA that created this Child SA");
  if (!prf) return note("the IKE SA's PRF is unknown (no IKE_SA_INIT in the capture)");
  if (ni.empty() || nr.empty()) return note("the nonces of the exchange are not in the capture");
  auto km = ike::derive_child_keys(*prf, keys->sk_d, {c->encr, c->integ}, {}, ni, nr);
  if (!km) return note(km.error().message);
  ChildSaKeys to_responder;
  to_responder.spi = spi_from_responder;
  to_responder.dst = responder;
  to_responder.src = initiator;
  to_responder.encr = c->encr;
  to_responder.integ = c->integ;
  to_responder.encr_key = std::move(km->encr_i);
  to_responder.integ_key = std::move(km->integ_i);
  to_responder.source = KeySource::derived;
  ChildSaKeys to_initiator;
  to_initiator.spi = spi_from_initiator;
  to_initiator.dst = initiator;
  to_initiator.src = responder;
  to_initiator.encr = c->encr;
  to_initiator.integ = c->integ;
  to_initiator.encr_key = std::move(km->encr_r);
  to_initiator.integ_key = std::move(km->integ_r);
  to_initiator.source = KeySource::derived;
  keys_.add(std::move(to_responder));
  keys_.add(std::move(to_initiator));
  own_children(sa, spi_from_initiator, spi_from_responder, initiator, responder);
}

} // namespace ikekit::decode
