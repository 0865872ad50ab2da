#include "wire/udp_encap.hpp"

#include "wire/esp.hpp"
#include "wire/header.hpp"

#include <string>

namespace ikekit::wire {

Result<UdpPayload> classify_udp_encap(ByteView p, std::string_view field) {
  // RFC 3948 2.3: a NAT-keepalive is a single 0xFF octet.
  if (p.size() == 1 && p[0] == kNatKeepalive) return UdpPayload{UdpKind::keepalive, {}};
  if (p.size() < kNonEspMarkerSize)
    return make_error(Errc::truncated, std::string(field),
                      std::to_string(p.size()) + " bytes: neither a keepalive nor a marker/SPI");
  if (load_be32(p.data()) == 0) {
    ByteView ike = p.subspan(kNonEspMarkerSize);
    if (ike.size() < kIkeHeaderSize)
      return make_error(Errc::truncated, std::string(field) + ".ike",
                        "IKE message of " + std::to_string(ike.size()) +
                            " bytes after the non-ESP marker");
    return UdpPayload{UdpKind::ike, ike};
  }
  if (p.size() < kEspHeaderSize)
    return make_error(Errc::truncated, std::string(field) + ".esp",
                      "ESP packet of " + std::to_string(p.size()) + " bytes");
  return UdpPayload{UdpKind::esp, p};
}

void write_non_esp_marker(Writer& w) { w.u32(0); }
void write_nat_keepalive(Writer& w) { w.u8(kNatKeepalive); }

} // namespace ikekit::wire
