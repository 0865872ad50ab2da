// TCP segmentation offload done in user space (the TUN side of the data plane): with
// IFF_VNET_HDR and TUNSETOFFLOAD (TSO4/TSO6, checksum offload) the kernel hands over
// TCP super-packets of up to 64 KiB with the checksum left partial; each is cut here
// into segments of gso_size payload bytes, each with its own IP and TCP header and
// complete checksums, written straight where the ESP payload goes (in front of it the
// headroom for the ESP header, after it the tailroom for the trailer). Sans-I/O:
// TunDevice turns the virtio_net_hdr into GsoInfo.
//
// What every segment gets (as the kernel's tcp_gso_segment does, RFC 793 / RFC 9293):
// sequence number advanced by the payload before it; FIN and PSH only on the last
// segment, CWR only on the first; IPv4 total length, identification + i and header
// checksum; IPv6 payload length; the TCP checksum over pseudo-header, header and data.
#pragma once

#include "base/bytes.hpp"

#include <cstddef>
#include <cstdint>

namespace ikekit::esp {

// What the kernel said about a packet it handed over (virtio_net_hdr, in neutral form).
struct GsoInfo {
  enum class Type : uint8_t { none, tcp4, tcp6 };
  Type type = Type::none;
  uint16_t segment_size = 0; // payload bytes per segment (the MSS)
  bool needs_csum = false;   // the checksum at csum_start + csum_offset is partial
  uint16_t csum_start = 0;   // where the checksummed region starts (the L4 header)
  uint16_t csum_offset = 0;  // the checksum field's offset from csum_start
};

// Completes a partial checksum (the field holds the pseudo-header sum; the rest of the
// region from csum_start on is added): what a NIC does for CHECKSUM_PARTIAL. False
// when the offsets lie outside the packet. A UDP checksum that comes out 0 is sent as
// 0xffff (RFC 768).
bool complete_checksum(MutBytes packet, uint16_t csum_start, uint16_t csum_offset);

// Where the headers of an IPv4 or IPv6 TCP packet end; IPv6 extension headers and IPv4
// fragments are not segmented.
struct TcpHeaders {
  bool v6 = false;
  size_t ip_len = 0;  // IPv4 IHL * 4, or 40
  size_t tcp_len = 0; // data offset * 4
  size_t headers() const { return ip_len + tcp_len; }
};
// Reads the headers of a TCP packet (wire/ip.hpp, wire/tcp.hpp); false when it is not
// one of the shape above or is cut short.
bool read_tcp_headers(ByteView packet, TcpHeaders& out);

class TcpSegmenter {
public:
  // Prepares to cut `packet` (a TCP super-packet, gso.type tcp4/tcp6) into segments of
  // gso.segment_size. False when the packet is no TCP packet of the right family, the
  // segment size is 0, or more than `max_segments` would result.
  bool start(ByteView packet, const GsoInfo& gso, size_t max_segments);
  size_t count() const { return count_; }
  // The length of segment i (headers + payload).
  size_t segment_len(size_t i) const;
  // Writes segment i (i < count()) into `out` (at least segment_len(i) bytes), all
  // checksums complete. Returns the bytes written.
  size_t write(size_t i, uint8_t* out) const;

private:
  ByteView packet_;
  TcpHeaders h_;
  size_t mss_ = 0;
  size_t payload_ = 0;
  size_t count_ = 0;
};

} // namespace ikekit::esp
