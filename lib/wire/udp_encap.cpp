#include "wire/udp_encap.hpp"

#include "wire/esp.hpp"
#include "wire/header.hpp"

#include <string>

namespace ikekit::wire {

std::optional<UdpKind> udp_encap_kind(ByteView p) {
  // RFC 3948 2.3: a NAT-keepalive is a single 0xFF octet.
  if (p.size() == 1 && p[0] == kNatKeepalive) return UdpKind::keepalive;
  if (p.size() < kNonEspMarkerSize) return std::nullopt;
  // RFC 3948 2.2: a zero SPI field is the non-ESP marker in front of an IKE header.
  // (How long the IKE message is, is for its parser to check: the engine counts a
  // runt as a malformed message.)
  if (load_be32(p.data()) == 0) return UdpKind::ike;
  // RFC 3948 2.1 / RFC 4303 2: SPI and sequence number at least.
  return p.size() >= kEspHeaderSize ? std::optional(UdpKind::esp) : std::nullopt;
}

Result<UdpPayload> classify_udp_encap(ByteView p, std::string_view field) {
  if (auto kind = udp_encap_kind(p)) {
    switch (*kind) {
    case UdpKind::keepalive:
      return UdpPayload{UdpKind::keepalive, {}};
    case UdpKind::ike:
      if (p.size() < kNonEspMarkerSize + kIkeHeaderSize)
        return make_error(Errc::truncated, std::string(field) + ".ike",
                          "IKE message of " + std::to_string(p.size() - kNonEspMarkerSize) +
                              " bytes after the non-ESP marker");
      return UdpPayload{UdpKind::ike, p.subspan(kNonEspMarkerSize)};
    case UdpKind::esp:
      return UdpPayload{UdpKind::esp, p};
    }
  }
  // Not one of them: say why.
  if (p.size() < kNonEspMarkerSize)
    return make_error(Errc::truncated, std::string(field),
                      std::to_string(p.size()) + " bytes: neither a keepalive nor a marker/SPI");
  return make_error(Errc::truncated, std::string(field) + ".esp",
                    "ESP packet of " + std::to_string(p.size()) + " bytes");
}

void write_non_esp_marker(Writer& w) { w.u32(0); }
void write_nat_keepalive(Writer& w) { w.u8(kNatKeepalive); }

} // namespace ikekit::wire
