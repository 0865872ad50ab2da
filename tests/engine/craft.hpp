// Hand-built IKE messages for engine tests that play a misbehaving or hostile peer:
// IKE_SA_INIT requests with chosen SPIs, nonce lengths, COOKIEs and padding, and SKF
// fragments sealed with keys taken from a real peer's SaKeys event.
#pragma once

#include "crypto/kex.hpp"
#include "crypto/sk.hpp"
#include "ike/proposal.hpp"
#include "sim.hpp"
#include "wire/message.hpp"
#include "wire/payload_ke.hpp"
#include "wire/payload_nonce.hpp"
#include "wire/payload_notify.hpp"
#include "wire/payload_sk.hpp"
#include "wire/payload_vendor.hpp"

#include <cstring>

namespace ikekit::ike::test {

struct InitRequest {
  uint64_t spi_i = 0x1122334455667788;
  std::string proposal = "aes256gcm16-prfsha256-ecp256";
  size_t nonce_size = 32;
  Bytes nonce;           // random (nonce_size bytes) when empty
  Bytes cookie;          // sent as the first payload when not empty (RFC 7296 2.6)
  size_t vendor_pad = 0; // a Vendor ID payload of this many bytes, to make it large
};

// HDR, [N(COOKIE)], SAi1, KEi, Ni, [V]
inline Bytes craft_init_request(const InitRequest& r, Rng& rng) {
  auto props = *parse_ike_proposals(r.proposal);
  const crypto::TransformInfo* ke = props[0].ke[0];
  auto kex = crypto::KeyExchange::generate(*ke, rng);
  Bytes nonce = r.nonce, pad(r.vendor_pad, 0x5a);
  if (nonce.empty()) {
    nonce.resize(r.nonce_size);
    rng.fill(nonce);
  }
  Bytes out(16 + r.cookie.size() + r.vendor_pad + 4096);
  wire::IkeHeader h;
  h.spi_i = r.spi_i;
  h.exchange_type = wire::ExchangeType::ike_sa_init;
  h.flags = wire::kFlagInitiator;
  wire::MessageWriter w(out, h);
  if (!r.cookie.empty())
    w.add(wire::PayloadType::n,
          wire::NotifyPayload{wire::ProtocolId(0), {}, wire::NotifyType::cookie, r.cookie});
  w.add(wire::PayloadType::sa, encode_proposals(props, wire::ProtocolId::ike, {}, ke, true));
  w.add(wire::PayloadType::ke, wire::KePayload{wire::KeGroup(ke->id), kex->public_value()});
  w.add(wire::PayloadType::nonce, wire::NoncePayload{nonce});
  if (r.vendor_pad) w.add(wire::PayloadType::v, wire::VendorIdPayload{pad});
  out.resize(*w.finish());
  return out;
}

// The data of the first Notify of `type` in an unencrypted message, or empty.
inline Bytes notify_data(const Bytes& message, wire::NotifyType type) {
  auto m = wire::parse_message(message);
  if (!m) return {};
  for (const auto& p : m->payloads)
    if (p.type == uint8_t(wire::PayloadType::n))
      if (auto n = wire::parse_notify(p.body); n && n->type == type)
        return Bytes(n->data.begin(), n->data.end());
  return {};
}

// One SKF fragment of an initiator's request (RFC 7383 2.5), sealed with the initiator's
// SK_ei/SK_ai from `keys`; `content` is the inner data this fragment carries.
inline Bytes craft_fragment(const IkeSaKeys& keys, wire::ExchangeType ex, uint32_t message_id,
                            uint16_t number, uint16_t total, ByteView content, Rng& rng) {
  const auto* encr = crypto::find_keyword(crypto::TransformKind::encr, keys.encr);
  const auto* integ =
      keys.integ.empty() ? nullptr : crypto::find_keyword(crypto::TransformKind::integ, keys.integ);
  auto c = crypto::SkCrypter::create(*encr, keys.sk_ei.reveal(), integ, keys.sk_ai.reveal());
  wire::IkeHeader h;
  h.spi_i = keys.spi_i;
  h.spi_r = keys.spi_r;
  h.exchange_type = ex;
  h.flags = wire::kFlagInitiator;
  h.message_id = message_id;
  size_t skf_len = c->sealed_size(content.size(), true);
  Bytes d(wire::kIkeHeaderSize + skf_len);
  wire::MessageWriter w(d, h);
  size_t at = w.begin_encrypted(wire::PayloadType::skf,
                                number == 1 ? wire::PayloadType::idi : wire::PayloadType::none);
  w.writer().u16(number);
  w.writer().u16(total);
  w.writer().skip(skf_len - wire::kGenericHeaderSize - wire::kSkfHeaderSize);
  w.end();
  (void)w.finish();
  std::memcpy(d.data() + at + c->plaintext_offset(true), content.data(), content.size());
  d.resize(*c->seal(d, at, content.size(), true, rng));
  return d;
}

// The first IkeSaKeys a node reported (Config::emit_keys).
inline const IkeSaKeys* ike_keys(const Node& n) {
  for (const auto& e : n.events)
    if (const auto* k = std::get_if<SaKeys>(&e))
      if (const auto* i = std::get_if<IkeSaKeys>(&k->keys)) return i;
  return nullptr;
}

// Hands `data` to `to`'s engine as if from `from`, and returns what it sends at once.
inline std::vector<Bytes> exchange(Net& net, Node& to, std::string_view from, const Bytes& data,
                                   uint16_t port = 500) {
  Datagram dg{Endpoint{to.address, port}, Endpoint{ip(from), port}, port != 500, data};
  to.engine->receive(dg, net.now);
  std::vector<Bytes> out;
  Bytes buf(65535);
  while (auto t = to.engine->poll_transmit(buf))
    out.emplace_back(buf.begin(), buf.begin() + long(t->size));
  while (auto e = to.engine->poll_event())
    to.events.push_back(std::move(*e));
  return out;
}

inline Datagram datagram_to(const Node& to, std::string_view from, const Bytes& data,
                            uint16_t port = 500) {
  return Datagram{Endpoint{to.address, port}, Endpoint{ip(from), port}, port != 500, data};
}

} // namespace ikekit::ike::test
