#include "radius/packet.hpp"

#include "crypto/digest.hpp"
#include "crypto/legacy_hash.hpp"

#include <array>
#include <cstring>

namespace ikekit::radius {

namespace {

constexpr std::array<uint8_t, 16> kZero16{};

void put_attribute(Writer& w, uint8_t type, ByteView value) {
  w.u8(type);
  w.u8(uint8_t(value.size() + 2));
  w.bytes(value);
}

} // namespace

std::string_view code_name(uint8_t code) {
  switch (Code(code)) {
  case Code::access_request:
    return "access_request";
  case Code::access_accept:
    return "access_accept";
  case Code::access_reject:
    return "access_reject";
  case Code::access_challenge:
    return "access_challenge";
  }
  return "unknown";
}

Result<Packet> parse_packet(ByteView in) {
  Reader r(in);
  auto code = r.u8("radius.code");
  if (!code) return code.error();
  auto identifier = r.u8("radius.identifier");
  if (!identifier) return identifier.error();
  auto length = r.u16("radius.length");
  if (!length) return length.error();
  auto authenticator = r.bytes(kAuthenticatorSize, "radius.authenticator");
  if (!authenticator) return authenticator.error();
  if (*length < kHeaderSize || *length > kMaxPacketSize)
    return make_error(Errc::bad_length, "radius.length",
                      std::to_string(*length) + ": expected 20..4096 (RFC 2865 3)");
  if (*length > in.size())
    return make_error(Errc::truncated, "radius.length",
                      std::to_string(*length) + ": more than the " + std::to_string(in.size()) +
                          " bytes received");
  Packet p;
  p.code = *code;
  p.identifier = *identifier;
  p.authenticator = *authenticator;
  p.bytes = in.first(*length);
  p.attributes = p.bytes.subspan(kHeaderSize);
  size_t pos = 0;
  for (size_t i = 0; pos < p.attributes.size(); ++i) {
    const std::string field = "radius.attribute[" + std::to_string(i) + "]";
    if (p.attributes.size() - pos < 2)
      return make_error(Errc::truncated, field + ".length", "an attribute needs 2 bytes");
    const uint8_t len = p.attributes[pos + 1];
    if (len < 2 || len > p.attributes.size() - pos)
      return make_error(Errc::bad_length, field + ".length",
                        std::to_string(len) + ": expected 2.." +
                            std::to_string(p.attributes.size() - pos));
    pos += len;
  }
  return p;
}

std::optional<Attribute> Packet::find(uint8_t type) const {
  std::optional<Attribute> found;
  for_each([&](const Attribute& a) {
    if (!found && a.type == type) found = a;
  });
  return found;
}

size_t Packet::count(uint8_t type) const {
  size_t n = 0;
  for_each([&](const Attribute& a) { n += a.type == type; });
  return n;
}

std::optional<ByteView> find_ms_attribute(const Packet& p, uint8_t vendor_type) {
  std::optional<ByteView> found;
  p.for_each([&](const Attribute& a) {
    if (found || a.type != attr::vendor_specific || a.value.size() < 6) return;
    if (load_be32(a.value.data()) != kMicrosoftVendorId) return;
    // RFC 2548 2: one or more sub-attributes (Vendor-Type, Vendor-Length >= 2, value).
    ByteView sub = a.value.subspan(4);
    while (sub.size() >= 2 && !found) {
      const uint8_t len = sub[1];
      if (len < 2 || len > sub.size()) return;
      if (sub[0] == vendor_type) found = sub.subspan(2, len - 2u);
      sub = sub.subspan(len);
    }
  });
  return found;
}

Result<size_t> eap_message(const Packet& p, MutBytes out) {
  Writer w(out);
  p.for_each([&](const Attribute& a) {
    if (a.type == attr::eap_message) w.bytes(a.value);
  });
  return w.finish("radius.eap_message");
}

Result<size_t> write_access_request(MutBytes out, uint8_t identifier,
                                    ByteView request_authenticator, const AccessRequest& req,
                                    ByteView secret) {
  if (request_authenticator.size() != kAuthenticatorSize)
    return make_error(Errc::bad_length, "radius.authenticator", "expected 16 bytes");
  if (req.user_name.size() > kMaxAttributeValue || req.nas_identifier.size() > kMaxAttributeValue ||
      req.state.size() > kMaxAttributeValue || req.calling_station_id.size() > kMaxAttributeValue)
    return make_error(Errc::bad_length, "radius.attribute", "a value longer than 253 bytes");
  if (secret.empty()) return make_error(Errc::bad_value, "radius.secret", "empty shared secret");
  Writer w(out);
  w.u8(uint8_t(Code::access_request));
  w.u8(identifier);
  const size_t length_at = w.skip(2);
  w.bytes(request_authenticator);
  if (!req.user_name.empty()) put_attribute(w, attr::user_name, as_bytes(req.user_name));
  if (!req.nas_identifier.empty())
    put_attribute(w, attr::nas_identifier, as_bytes(req.nas_identifier));
  if (req.nas_ip)
    put_attribute(w, req.nas_ip->is_v4() ? attr::nas_ip_address : attr::nas_ipv6_address,
                  req.nas_ip->bytes());
  if (!req.calling_station_id.empty())
    put_attribute(w, attr::calling_station_id, as_bytes(req.calling_station_id));
  if (req.framed_mtu != 0) {
    uint8_t mtu[4];
    store_be32(mtu, req.framed_mtu);
    put_attribute(w, attr::framed_mtu, mtu);
  }
  // RFC 3579 3.1: EAP-Message in as many attributes as needed, 253 bytes each, in order.
  for (size_t pos = 0; pos < req.eap_message.size(); pos += kMaxAttributeValue)
    put_attribute(
        w, attr::eap_message,
        req.eap_message.subspan(pos, std::min(kMaxAttributeValue, req.eap_message.size() - pos)));
  if (!req.state.empty()) put_attribute(w, attr::state, req.state);
  // RFC 3579 3.2: computed with its own value zeroed, then filled in.
  put_attribute(w, attr::message_authenticator, kZero16);
  if (!w.ok() || w.size() > kMaxPacketSize)
    return make_error(Errc::bad_length, "radius.length",
                      "the Access-Request does not fit (at most 4096 bytes)");
  w.patch_u16(length_at, uint16_t(w.size()));
  MutBytes pkt = w.written();
  MutBytes ma = pkt.subspan(pkt.size() - kAuthenticatorSize);
  uint8_t mac[16];
  auto h = crypto::hmac_md5(secret, {ByteView(pkt)}, mac);
  if (!h) return h.error();
  std::memcpy(ma.data(), mac, sizeof mac);
  return w.size();
}

Result<void> verify_response(const Packet& p, ByteView request_authenticator, ByteView secret) {
  if (request_authenticator.size() != kAuthenticatorSize)
    return make_error(Errc::bad_length, "radius.authenticator", "expected 16 bytes");
  const ByteView head = p.bytes.first(4);
  // RFC 2865 3: Response Authenticator.
  uint8_t expected[16];
  auto d = crypto::legacy_digest(crypto::LegacyDigest::md5,
                                 {head, request_authenticator, p.attributes, secret}, expected);
  if (!d) return d.error();
  if (!crypto::constant_time_equal(expected, p.authenticator))
    return make_error(Errc::integrity, "radius.authenticator",
                      "the Response Authenticator does not match (wrong shared secret?)");
  auto ma = p.find(attr::message_authenticator);
  if (!ma) {
    if (p.find(attr::eap_message))
      return make_error(Errc::protocol, "radius.message_authenticator",
                        "missing from a packet with EAP-Message (RFC 3579 3.2)");
    return {};
  }
  if (ma->value.size() != 16)
    return make_error(Errc::bad_length, "radius.message_authenticator", "expected 16 bytes");
  // RFC 3579 3.2: HMAC-MD5 over the packet with the Request Authenticator and the
  // attribute's value zeroed.
  const size_t value_at = ma->offset + 2;
  uint8_t mac[16];
  auto h = crypto::hmac_md5(secret,
                            {head, request_authenticator,
                             p.bytes.subspan(kHeaderSize, value_at - kHeaderSize), kZero16,
                             p.bytes.subspan(value_at + 16)},
                            mac);
  if (!h) return h.error();
  if (!crypto::constant_time_equal(mac, ma->value))
    return make_error(Errc::integrity, "radius.message_authenticator", "does not match");
  return {};
}

Result<void> sign_response(MutBytes pkt, ByteView request_authenticator, ByteView secret,
                           size_t ma_value_offset) {
  if (pkt.size() < kHeaderSize || request_authenticator.size() != kAuthenticatorSize)
    return make_error(Errc::bad_length, "radius", "short packet or authenticator");
  std::memcpy(pkt.data() + 4, request_authenticator.data(), kAuthenticatorSize);
  if (ma_value_offset != 0) {
    if (ma_value_offset + 16 > pkt.size())
      return make_error(Errc::bad_length, "radius.message_authenticator", "outside the packet");
    std::memset(pkt.data() + ma_value_offset, 0, 16);
    uint8_t mac[16];
    auto h = crypto::hmac_md5(secret, {ByteView(pkt)}, mac);
    if (!h) return h.error();
    std::memcpy(pkt.data() + ma_value_offset, mac, 16);
  }
  uint8_t auth[16];
  auto d = crypto::legacy_digest(crypto::LegacyDigest::md5, {ByteView(pkt), secret}, auth);
  if (!d) return d.error();
  std::memcpy(pkt.data() + 4, auth, 16);
  return {};
}

} // namespace ikekit::radius
