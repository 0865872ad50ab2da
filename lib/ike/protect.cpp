// The Encrypted payload, RFC 7296 3.14: every message after IKE_SA_INIT is
//
//   HDR, SK { inner payloads }
//
// sealed with the sender's SK_e/SK_a (SkCrypter), and opened by the receiver before any
// payload is trusted. Fragmented messages (SKF) are in fragments.cpp.
#include "crypto/digest.hpp"
#include "ike/engine_impl.hpp"

#include <cstring>

namespace ikekit::ike {

using wire::PayloadType;

wire::IkeHeader Engine::Impl::header_for(const IkeSa& sa, wire::ExchangeType ex, bool response,
                                         uint32_t msg_id) const {
  wire::IkeHeader h;
  h.spi_i = sa.spi_i;
  h.spi_r = sa.spi_r;
  h.exchange_type = ex;
  h.flags =
      uint8_t((sa.initiator ? wire::kFlagInitiator : 0) | (response ? wire::kFlagResponse : 0));
  h.message_id = msg_id;
  return h;
}

Result<std::vector<Bytes>> Engine::Impl::seal(IkeSa& sa, wire::ExchangeType ex, bool response,
                                              uint32_t msg_id, ByteView inner,
                                              PayloadType first_inner) {
  wire::IkeHeader h = header_for(sa, ex, response, msg_id);
  crypto::SkCrypter& c = *sa.crypt_out;
  size_t sk_len = c.sealed_size(inner.size(), false);
  size_t total = wire::kIkeHeaderSize + sk_len;
  // RFC 7383 2.5: fragment only when both sides announced support.
  if (sa.peer_fragmentation && sa.peer && sa.peer->fragmentation && total > sa.peer->fragment_size)
    return fragment(sa, h, inner, first_inner);
  Bytes out(total);
  wire::MessageWriter w(out, h);
  size_t sk_at = w.begin_encrypted(PayloadType::sk, first_inner);
  w.writer().skip(sk_len - wire::kGenericHeaderSize);
  w.end();
  auto n = w.finish();
  if (!n) return n.error();
  if (!inner.empty())
    std::memcpy(out.data() + sk_at + c.plaintext_offset(false), inner.data(), inner.size());
  auto sealed = c.seal(out, sk_at, inner.size(), false, rng);
  if (!sealed) return sealed.error();
  out.resize(*sealed);
  return std::vector<Bytes>{std::move(out)};
}

Result<std::vector<Bytes>> Engine::Impl::seal(IkeSa& sa, wire::ExchangeType ex, bool response,
                                              uint32_t msg_id, wire::PayloadWriter& w,
                                              ByteView inner) {
  auto n = w.finish();
  if (!n) return n.error();
  return seal(sa, ex, response, msg_id, inner.first(*n), w.first_type());
}

Engine::Impl::Opened Engine::Impl::open(IkeSa& sa, Inbound& in, MutBytes message,
                                        const wire::Message& msg) {
  const wire::RawPayload* enc = msg.encrypted();
  if (enc->type == uint8_t(PayloadType::skf)) return add_fragment(sa, in, message, *enc);
  auto pt =
      sa.crypt_in->open(message.first(msg.bytes.size()), enc->offset, enc->whole.size(), false);
  if (!pt) {
    drop(DropReason::integrity, pt.error().field + ": " + pt.error().message);
    return Opened::dropped;
  }
  auto chain = wire::parse_payload_chain(*pt, enc->next_type, 0, wire::ChainOptions{false});
  if (!chain) {
    drop(DropReason::malformed, "sk." + chain.error().field + ": " + chain.error().message);
    return Opened::dropped;
  }
  in.inner = std::move(*chain);
  if (!in.hdr.response()) request_digest = crypto::sha256(in.dg->data); // RFC 7296 2.1
  return Opened::ok;
}

} // namespace ikekit::ike
