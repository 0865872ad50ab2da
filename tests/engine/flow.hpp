// Message-flow capture for the engine tests: every datagram the simulated network
// carries, decoded as RFC 7296 draws an exchange (1.2-1.4): who sent it, the exchange,
// the I and R flags, the message ID, and the payload list (inside SK too, decrypted with
// the keys of the initiator's SaKeys event; Config::emit_keys).
#pragma once

#include "crypto/sk.hpp"
#include "sim.hpp"
#include "wire/message.hpp"
#include "wire/payload_cp.hpp"
#include "wire/payload_notify.hpp"

#include <optional>
#include <sstream>
#include <string>
#include <vector>

namespace ikekit::ike::test {

struct Captured {
  IpAddress from;
  Bytes data;
};

// Records every datagram put on `net` (install before the exchange starts).
inline void capture(Net& net, std::vector<Captured>& out) {
  net.tap = [&out](Bytes& d, const Transmit& t) {
    out.push_back({t.local.address, d});
    return true;
  };
}

// "SA", "N(NAT_DETECTION_SOURCE_IP)", ...: one entry per payload, in order.
inline std::vector<std::string> payload_list(const std::vector<wire::RawPayload>& chain) {
  std::vector<std::string> v;
  for (const auto& p : chain) {
    std::string name(wire::payload_type_name(p.payload_type()));
    if (p.payload_type() == wire::PayloadType::n)
      if (auto n = wire::parse_notify(p.body)) {
        std::string nn(wire::notify_type_name(n->type));
        name += "(" + (nn.empty() ? std::to_string(uint16_t(n->type)) : nn) + ")";
      }
    v.push_back(name);
  }
  return v;
}

// The payloads inside SK of `m`, parsed from `copy` (decrypted there in place) with the
// keys of `keys`; nullopt when it does not decrypt or its inner chain does not parse.
inline std::optional<std::vector<wire::RawPayload>> open_sk(Bytes& copy, const wire::Message& m,
                                                            const IkeSaKeys& keys) {
  const wire::RawPayload* sk = m.encrypted();
  const auto* encr = crypto::find_keyword(crypto::TransformKind::encr, keys.encr);
  const auto* integ =
      keys.integ.empty() ? nullptr : crypto::find_keyword(crypto::TransformKind::integ, keys.integ);
  bool from_i = m.header.initiator();
  auto cr = crypto::SkCrypter::create(*encr, (from_i ? keys.sk_ei : keys.sk_er).reveal(), integ,
                                      (from_i ? keys.sk_ai : keys.sk_ar).reveal());
  bool frag = sk->payload_type() == wire::PayloadType::skf;
  auto inner = cr->open(copy, sk->offset, sk->whole.size(), frag);
  if (!inner) return std::nullopt;
  auto chain = wire::parse_payload_chain(*inner, sk->next_type);
  if (!chain) return std::nullopt;
  return std::move(*chain);
}

// One message as "<from> <EXCHANGE> <request|response> I=<0|1> mid=<n>: <payloads>".
// Encrypted messages are opened with `keys` (which SA's keys: the caller's choice).
inline std::string describe(const Captured& c, const IkeSaKeys* keys) {
  Bytes copy = c.data;
  auto m = wire::parse_message(copy);
  if (!m) return "unparsable";
  const auto& h = m->header;
  std::ostringstream o;
  o << c.from.to_string() << " " << wire::exchange_type_name(h.exchange_type) << " "
    << (h.response() ? "response" : "request") << " I=" << (h.initiator() ? 1 : 0)
    << " mid=" << h.message_id << ":";
  std::vector<std::string> names;
  if (!m->encrypted()) {
    names = payload_list(m->payloads);
  } else if (keys && keys->spi_i == h.spi_i && keys->spi_r == h.spi_r) {
    auto chain = open_sk(copy, *m, *keys);
    if (!chain) return o.str() + " (does not decrypt)";
    names = payload_list(*chain);
    names.insert(names.begin(), "SK{");
    names.push_back("}");
  } else {
    names = {"SK(other SA)"};
  }
  for (const auto& n : names)
    o << " " << n;
  return o.str();
}

// The configuration payload of a message of the SA of `keys`, if it carries one.
// `c` is copied into `storage`, which the attributes' values point into.
inline std::optional<wire::CpPayload> find_cp(const Captured& c, const IkeSaKeys& keys,
                                              Bytes& storage) {
  storage = c.data;
  auto m = wire::parse_message(storage);
  if (!m || !m->encrypted() || m->header.spi_i != keys.spi_i) return std::nullopt;
  auto chain = open_sk(storage, *m, keys);
  if (!chain) return std::nullopt;
  for (const auto& p : *chain)
    if (p.payload_type() == wire::PayloadType::cp)
      if (auto cp = wire::parse_cp(p.body)) return *cp;
  return std::nullopt;
}

} // namespace ikekit::ike::test
