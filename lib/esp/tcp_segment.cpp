#include "esp/tcp_segment.hpp"

#include "wire/inet_checksum.hpp"
#include "wire/ip.hpp"
#include "wire/tcp.hpp"

#include <algorithm>
#include <cstring>

namespace ikekit::esp {

bool complete_checksum(MutBytes packet, uint16_t csum_start, uint16_t csum_offset) {
  if (size_t(csum_start) + csum_offset + 2 > packet.size()) return false;
  uint8_t* field = packet.data() + csum_start + csum_offset;
  wire::InetChecksum c;
  c.add(packet.subspan(csum_start)); // the field holds the pseudo-header sum
  uint16_t sum = c.checksum();
  // RFC 768: a computed UDP checksum of zero is transmitted as all ones (the UDP
  // checksum field sits 6 bytes into the header; TCP's at 16).
  if (sum == 0 && csum_offset == 6) sum = 0xffff;
  store_be16(field, sum);
  return true;
}

bool read_tcp_headers(ByteView p, TcpHeaders& out) {
  // No IPv6 extension header walk and no IPv4 fragment: neither is cut into segments.
  wire::IpHeader ip;
  if (wire::parse_ip(p, ip, wire::Ipv6Walk::none) != wire::IpError::none) return false;
  if (ip.protocol != wire::kIpProtoTcp || ip.fragment) return false;
  wire::TcpHeader tcp;
  if (wire::parse_tcp(p.subspan(ip.header_len), tcp) != wire::TcpError::none) return false;
  out = TcpHeaders{ip.version == 6, ip.header_len, tcp.header_len};
  return true;
}

bool TcpSegmenter::start(ByteView packet, const GsoInfo& gso, size_t max_segments) {
  count_ = 0;
  if (!read_tcp_headers(packet, h_)) return false;
  if (h_.v6 != (gso.type == GsoInfo::Type::tcp6) || gso.segment_size == 0) return false;
  packet_ = packet;
  mss_ = gso.segment_size;
  payload_ = packet.size() - h_.headers();
  count_ = payload_ == 0 ? 1 : (payload_ + mss_ - 1) / mss_;
  if (count_ > max_segments) {
    count_ = 0;
    return false;
  }
  return true;
}

size_t TcpSegmenter::segment_len(size_t i) const {
  size_t off = i * mss_;
  return h_.headers() + std::min(mss_, payload_ - std::min(off, payload_));
}

size_t TcpSegmenter::write(size_t i, uint8_t* out) const {
  const size_t hl = h_.headers();
  const size_t off = i * mss_;
  const size_t len = std::min(mss_, payload_ - std::min(off, payload_));
  std::memcpy(out, packet_.data(), hl); // the payload is copied with its checksum below
  uint8_t* ip = out;
  uint8_t* tcp = out + h_.ip_len;
  if (h_.v6) {
    store_be16(ip + 4, uint16_t(h_.tcp_len + len)); // RFC 8200 3: payload length
  } else {
    store_be16(ip + 2, uint16_t(hl + len));
    store_be16(ip + 4, uint16_t(load_be16(ip + 4) + i)); // identification per segment
    wire::set_ipv4_header_checksum(ip, h_.ip_len);
  }
  store_be32(tcp + 4, uint32_t(load_be32(tcp + 4) + off));
  uint8_t flags = tcp[13];
  if (i + 1 < count_)
    flags &= uint8_t(~(wire::kTcpFin | wire::kTcpPsh)); // only the last ends or pushes
  if (i > 0) flags &= uint8_t(~wire::kTcpCwr);          // RFC 3168 6.1.2: once
  tcp[13] = flags;
  tcp[16] = tcp[17] = 0;
  wire::InetChecksum c = wire::pseudo_header_sum(ByteView(ip, h_.ip_len), wire::kIpProtoTcp,
                                                 uint32_t(h_.tcp_len + len));
  c.add(ByteView(tcp, h_.tcp_len));
  c.add_copy(out + hl, packet_.subspan(hl + off, len)); // one pass: copied and summed
  store_be16(tcp + 16, c.checksum());
  return hl + len;
}

} // namespace ikekit::esp
