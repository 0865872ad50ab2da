// IKE fragmentation, RFC 7383.
//
//   Initiator                                Responder
//   HDR, SAi1, KEi, Ni,
//        [N(IKEV2_FRAGMENTATION_SUPPORTED)] -->
//                                       <--  HDR, SAr1, KEr, Nr, [CERTREQ],
//                                                 [N(IKEV2_FRAGMENTATION_SUPPORTED)]
//   HDR, SKF{IDi, [CERT,] ... }  (1 of n) -->
//   HDR, SKF{...}                (n of n) -->
//
// 2.5: each fragment is an SKF payload "Fragment Number | Total Fragments | IV |
// encrypted content | ICV", protected on its own; only fragment 1 names the first inner
// payload. 2.6: fragments are verified before they are stored; the message is processed
// once all have arrived.
#include "crypto/digest.hpp"
#include "ike/engine_impl.hpp"

#include <cstring>

namespace ikekit::ike {

using wire::PayloadType;

namespace {
constexpr uint16_t kMaxFragments = 128; // of a message we send

size_t fragment_bytes_held(const IkeSa& sa) {
  size_t n = 0;
  for (const auto& r : sa.reassembly)
    if (r) n += r->bytes;
  return n;
}
} // namespace

Result<std::vector<Bytes>> Engine::Impl::fragment(IkeSa& sa, const wire::IkeHeader& h,
                                                  ByteView inner, PayloadType first_inner) {
  crypto::SkCrypter& c = *sa.crypt_out;
  size_t limit = sa.peer->fragment_size;
  // The largest plaintext chunk whose fragment fits the limit.
  size_t chunk = limit;
  while (chunk > 0 && wire::kIkeHeaderSize + c.sealed_size(chunk, true) > limit)
    --chunk;
  if (chunk == 0)
    return make_error(Errc::bad_length, "fragment_size", "too small for one fragment");
  size_t count = (inner.size() + chunk - 1) / chunk;
  if (count == 0) count = 1;
  if (count > kMaxFragments)
    return make_error(Errc::bad_length, "fragment_size", "too many fragments");
  std::vector<Bytes> out;
  for (size_t i = 0; i < count; ++i) {
    ByteView piece = inner.subspan(i * chunk, std::min(chunk, inner.size() - i * chunk));
    size_t skf_len = c.sealed_size(piece.size(), true);
    Bytes d(wire::kIkeHeaderSize + skf_len);
    wire::MessageWriter w(d, h);
    size_t at = w.begin_encrypted(PayloadType::skf, i == 0 ? first_inner : PayloadType::none);
    w.writer().u16(uint16_t(i + 1));
    w.writer().u16(uint16_t(count));
    w.writer().skip(skf_len - wire::kGenericHeaderSize - wire::kSkfHeaderSize);
    w.end();
    auto n = w.finish();
    if (!n) return n.error();
    std::memcpy(d.data() + at + c.plaintext_offset(true), piece.data(), piece.size());
    auto sealed = c.seal(d, at, piece.size(), true, rng);
    if (!sealed) return sealed.error();
    d.resize(*sealed);
    out.push_back(std::move(d));
    ++stats.fragments_sent;
  }
  return out;
}

Engine::Impl::Opened Engine::Impl::add_fragment(IkeSa& sa, Inbound& in, MutBytes message,
                                                const wire::RawPayload& raw) {
  auto skf = wire::parse_skf(raw);
  if (!skf) {
    drop(DropReason::fragment, "skf.total_fragments");
    return Opened::dropped;
  }
  if (config.max_fragments != 0 && skf->total_fragments > config.max_fragments) {
    drop(DropReason::too_many_fragments, std::to_string(skf->total_fragments) + " fragments");
    return Opened::dropped;
  }
  auto pt = sa.crypt_in->open(message.first(in.message.size()), raw.offset, raw.whole.size(), true);
  if (!pt) {
    drop(DropReason::integrity, "skf: " + pt.error().message);
    return Opened::dropped;
  }
  ++stats.fragments_received;
  auto& r = sa.reassembly[in.hdr.response() ? 1 : 0];
  if (!r || r->message_id != in.hdr.message_id || r->response != in.hdr.response() ||
      r->total != skf->total_fragments) {
    r = Reassembly{};
    r->message_id = in.hdr.message_id;
    r->response = in.hdr.response();
    r->total = skf->total_fragments;
    r->pieces.resize(r->total);
  }
  size_t idx = skf->fragment_number - 1u;
  if (r->pieces[idx]) {
    drop(DropReason::duplicate, "fragment " + std::to_string(skf->fragment_number));
    return Opened::pending;
  }
  // strongSwan's rule: a message that grows past the limit is abandoned, not truncated.
  if (config.max_reassembly_bytes != 0 &&
      fragment_bytes_held(sa) + pt->size() > config.max_reassembly_bytes) {
    drop(DropReason::reassembly_limit,
         std::to_string(fragment_bytes_held(sa) + pt->size()) + " bytes of fragments");
    r.reset();
    return Opened::dropped;
  }
  r->pieces[idx] = Bytes(pt->begin(), pt->end());
  r->bytes += pt->size();
  if (idx == 0) {
    r->first_inner = raw.next_type;
    r->first_digest = crypto::sha256(in.dg->data); // the request's fingerprint (RFC 7296 2.1)
  }
  if (++r->received < r->total) return Opened::pending;
  joined.clear();
  for (auto& p : r->pieces)
    joined.insert(joined.end(), p->begin(), p->end());
  uint8_t first = r->first_inner;
  if (!in.hdr.response()) request_digest = r->first_digest;
  r.reset();
  auto chain = wire::parse_payload_chain(joined, first, 0, wire::ChainOptions{false});
  if (!chain) {
    drop(DropReason::malformed, "skf." + chain.error().field);
    return Opened::dropped;
  }
  in.inner = std::move(*chain);
  return Opened::ok;
}

} // namespace ikekit::ike
