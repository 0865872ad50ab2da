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

// An SK or SKF message (RFC 7296 3.14, RFC 7383 2.5) sealed with the keys of one side
// of the IKE SA in `keys`: `content` is the inner data (payload chain or, in a fragment,
// part of one), `first_inner` the Next Payload of the SK/SKF header.
struct Sealed {
  wire::ExchangeType exchange = wire::ExchangeType::ike_auth;
  uint32_t message_id = 1;
  bool from_initiator = true; // SK_ei/SK_ai, else SK_er/SK_ar
  bool response = false;
  uint8_t first_inner = uint8_t(wire::PayloadType::none);
  uint16_t fragment_number = 0; // 0: an SK payload; otherwise SKF number/total
  uint16_t fragment_total = 0;
};

inline Bytes craft_sealed(const IkeSaKeys& keys, const Sealed& m, ByteView content, Rng& rng) {
  const auto* encr = crypto::find_keyword(crypto::TransformKind::encr, keys.encr);
  const auto* integ =
      keys.integ.empty() ? nullptr : crypto::find_keyword(crypto::TransformKind::integ, keys.integ);
  const SecretBytes& sk_e = m.from_initiator ? keys.sk_ei : keys.sk_er;
  const SecretBytes& sk_a = m.from_initiator ? keys.sk_ai : keys.sk_ar;
  auto c = crypto::SkCrypter::create(*encr, sk_e.reveal(), integ, sk_a.reveal());
  if (!c) return {};
  bool fragment = m.fragment_number != 0;
  wire::IkeHeader h;
  h.spi_i = keys.spi_i;
  h.spi_r = keys.spi_r;
  h.exchange_type = m.exchange;
  h.flags = uint8_t((m.from_initiator ? wire::kFlagInitiator : 0) |
                    (m.response ? wire::kFlagResponse : 0));
  h.message_id = m.message_id;
  size_t sk_len = c->sealed_size(content.size(), fragment);
  Bytes d(wire::kIkeHeaderSize + sk_len);
  wire::MessageWriter w(d, h);
  size_t at = w.begin_encrypted(fragment ? wire::PayloadType::skf : wire::PayloadType::sk,
                                wire::PayloadType(m.first_inner));
  if (fragment) {
    w.writer().u16(m.fragment_number);
    w.writer().u16(m.fragment_total);
  }
  w.writer().skip(sk_len - wire::kGenericHeaderSize - (fragment ? wire::kSkfHeaderSize : 0));
  w.end();
  (void)w.finish();
  if (!content.empty())
    std::memcpy(d.data() + at + c->plaintext_offset(fragment), content.data(), content.size());
  auto n = c->seal(d, at, content.size(), fragment, rng);
  if (!n) return {};
  d.resize(*n);
  return d;
}

// One SKF fragment of an initiator's request (RFC 7383 2.5), sealed with the initiator's
// SK_ei/SK_ai from `keys`; `content` is the inner data this fragment carries.
inline Bytes craft_fragment(const IkeSaKeys& keys, wire::ExchangeType ex, uint32_t message_id,
                            uint16_t number, uint16_t total, ByteView content, Rng& rng) {
  Sealed m;
  m.exchange = ex;
  m.message_id = message_id;
  m.first_inner = uint8_t(number == 1 ? wire::PayloadType::idi : wire::PayloadType::none);
  m.fragment_number = number;
  m.fragment_total = total;
  return craft_sealed(keys, m, content, rng);
}

// The first IkeSaKeys a node reported (Config::emit_keys).
inline const IkeSaKeys* ike_keys(const Node& n) {
  for (const auto& e : n.events)
    if (const auto* k = std::get_if<SaKeys>(&e)) return &k->keys;
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
