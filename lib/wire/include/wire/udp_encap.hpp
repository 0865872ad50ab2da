// UDP encapsulation on port 4500, RFC 3948 2.1-2.3 (also used by RFC 7296 2.23):
//
//  IKE:       | 0x00000000 Non-ESP Marker | IKE header ...
//  ESP:       | SPI (non-zero)            | Sequence Number | ...
//  keepalive: | 0xFF |                     (NAT-keepalive, one byte)
#pragma once

#include "base/bytes.hpp"
#include "base/result.hpp"

#include <cstdint>
#include <optional>

namespace ikekit::wire {

inline constexpr size_t kNonEspMarkerSize = 4;
inline constexpr uint8_t kNatKeepalive = 0xff;

enum class UdpKind : uint8_t { ike, esp, keepalive };

struct UdpPayload {
  UdpKind kind = UdpKind::ike;
  ByteView data; // ike: the IKE message after the marker; esp: the ESP packet; keepalive: empty
};

// The one RFC 3948 2.1-2.3 demultiplexing rule, for per-packet paths: no error text
// is built; nullopt for 0-3 bytes that are not a keepalive and ESP shorter than its
// header. An IKE message of any length behind the marker is `ike` (its parser judges).
std::optional<UdpKind> udp_encap_kind(ByteView udp_payload);

// Classifies a UDP/4500 payload (or the body of an RFC 9329 TCP frame, which has the same
// form). Errors: truncated `field` for 0 bytes, 1-3 bytes that are not a keepalive, an
// IKE message shorter than the 28-byte header after the marker (`field`.ike), or an ESP
// packet shorter than its 8-byte header (`field`.esp).
Result<UdpPayload> classify_udp_encap(ByteView udp_payload, std::string_view field = "udp");

void write_non_esp_marker(Writer& w);
void write_nat_keepalive(Writer& w);

} // namespace ikekit::wire
