// RADIUS packets (RFC 2865 3, 5) as the EAP carrier of RFC 3579: parsed as views into the
// datagram and written into caller space.
//
//   | Code | Identifier | Length (20..4096) | Authenticator (16) | Attributes ...
//   Attribute: | Type | Length (>= 2) | Value (Length - 2, at most 253) |
//
// Access-Request: a random Request Authenticator (RFC 2865 3), User-Name, NAS-Identifier
// and/or NAS-IP-Address (RFC 2865 4.1: at least one), EAP-Message split into attributes
// of at most 253 bytes (RFC 3579 3.1), State echoed (RFC 2865 5.24) and
// Message-Authenticator = HMAC-MD5(secret, packet with the attribute zeroed) (RFC 3579
// 3.2). Responses: the Response Authenticator MD5(Code|Identifier|Length|Request
// Authenticator|Attributes|Secret) (RFC 2865 3) and the Message-Authenticator computed
// over the packet with the Request Authenticator in place of its own (RFC 3579 3.2).
#pragma once

#include "base/bytes.hpp"
#include "base/ip_address.hpp"
#include "base/result.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ikekit::radius {

enum class Code : uint8_t {
  access_request = 1,
  access_accept = 2,
  access_reject = 3,
  access_challenge = 11,
};
std::string_view code_name(uint8_t code);

// RFC 2865 5, RFC 2869 5, RFC 3162 2, RFC 3579 3.
namespace attr {
inline constexpr uint8_t user_name = 1;
inline constexpr uint8_t nas_ip_address = 4;
inline constexpr uint8_t service_type = 6;
inline constexpr uint8_t framed_mtu = 12;
inline constexpr uint8_t reply_message = 18;
inline constexpr uint8_t state = 24;
inline constexpr uint8_t vendor_specific = 26;
inline constexpr uint8_t calling_station_id = 31;
inline constexpr uint8_t nas_identifier = 32;
inline constexpr uint8_t nas_port_type = 61;
inline constexpr uint8_t eap_message = 79;
inline constexpr uint8_t message_authenticator = 80;
inline constexpr uint8_t nas_ipv6_address = 95;
} // namespace attr

// RFC 2548 2.4.2, 2.4.3: Microsoft vendor attributes.
inline constexpr uint32_t kMicrosoftVendorId = 311;
inline constexpr uint8_t kMsMppeSendKey = 16;
inline constexpr uint8_t kMsMppeRecvKey = 17;

inline constexpr size_t kHeaderSize = 20;
inline constexpr size_t kMaxPacketSize = 4096; // RFC 2865 3
inline constexpr size_t kAuthenticatorSize = 16;
inline constexpr size_t kMaxAttributeValue = 253;

struct Attribute {
  uint8_t type = 0;
  ByteView value;
  size_t offset = 0; // of the Type octet in the packet
};

// A packet whose header and attribute chain were checked: every attribute fits and the
// Length matches. Octets past Length are padding (RFC 2865 3) and ignored.
struct Packet {
  uint8_t code = 0;
  uint8_t identifier = 0;
  ByteView authenticator; // 16 bytes
  ByteView attributes;    // the chain, already validated
  ByteView bytes;         // Length bytes

  // Calls fn(const Attribute&) for each attribute in order.
  template <typename Fn> void for_each(Fn&& fn) const {
    size_t pos = 0;
    while (pos + 2 <= attributes.size()) {
      const uint8_t len = attributes[pos + 1];
      fn(Attribute{attributes[pos], attributes.subspan(pos + 2, len - 2u), kHeaderSize + pos});
      pos += len;
    }
  }
  std::optional<Attribute> find(uint8_t type) const;
  size_t count(uint8_t type) const;
};

Result<Packet> parse_packet(ByteView in);

// The value of a Microsoft vendor attribute (RFC 2865 5.26 layout: Vendor-Id, then
// Vendor-Type, Vendor-Length, value), or nullopt when absent or malformed.
std::optional<ByteView> find_ms_attribute(const Packet& p, uint8_t vendor_type);

// EAP-Message attributes concatenated in order (RFC 3579 3.1) into `out`; the bytes
// written.
Result<size_t> eap_message(const Packet& p, MutBytes out);

// What an Access-Request carries (RFC 3579 2.1, 3).
struct AccessRequest {
  std::string user_name;
  ByteView eap_message;            // one EAP packet
  ByteView state;                  // from the last Access-Challenge; empty at first
  std::string nas_identifier;      // RFC 2865 5.32
  std::optional<IpAddress> nas_ip; // NAS-IP-Address or NAS-IPv6-Address
  std::string calling_station_id;  // RFC 3580 3.20: the peer's address, when known
  uint16_t framed_mtu = 1400;      // RFC 3579 2.4: what the NAS can carry
};

// Writes an Access-Request with `request_authenticator` (16 random bytes) and a
// Message-Authenticator under `secret`.
Result<size_t> write_access_request(MutBytes out, uint8_t identifier,
                                    ByteView request_authenticator, const AccessRequest& req,
                                    ByteView secret);

// RFC 2865 3 and RFC 3579 3.2: checks a response against the request's authenticator.
// A missing Message-Authenticator is refused when the packet carries EAP-Message.
Result<void> verify_response(const Packet& response, ByteView request_authenticator,
                             ByteView secret);

// For a server (and tests): the Response Authenticator and Message-Authenticator of a
// response written with a zeroed Message-Authenticator value at `ma_offset` (0: none),
// filled in place.
Result<void> sign_response(MutBytes packet, ByteView request_authenticator, ByteView secret,
                           size_t ma_value_offset);

} // namespace ikekit::radius
