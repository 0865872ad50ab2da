// The fixed part of the TCP header (RFC 9293 3.1), behind an IP header (wire/ip.hpp):
// ports, sequence number, data offset and flags, for the capture decoder (RFC 9329
// streams) and the data plane's TCP offloads (esp/tcp_segment.hpp). No allocation;
// typed errors, to_error() for a caller that reports them.
//
//  +--------+--------+--------+--------+
//  |  Source Port    |   Dest Port     |
//  |         Sequence Number           |
//  |      Acknowledgment Number        |
//  |Off|Rsv| Flags   |     Window      |
//  |  Checksum       | Urgent Pointer  |
//  |  Options (data offset > 5 words)  |
//  +--------+--------+--------+--------+
#pragma once

#include "base/bytes.hpp"
#include "base/result.hpp"

#include <cstddef>
#include <cstdint>

namespace ikekit::wire {

inline constexpr size_t kTcpHeaderSize = 20; // without options
inline constexpr uint8_t kTcpFin = 0x01, kTcpSyn = 0x02, kTcpRst = 0x04, kTcpPsh = 0x08,
                         kTcpAck = 0x10, kTcpUrg = 0x20, kTcpEce = 0x40, kTcpCwr = 0x80;

enum class TcpError : uint8_t {
  none,
  ports_truncated, // "tcp": not even the two ports (nothing is set)
  truncated,       // "tcp": fewer than 20 bytes (the ports are set)
  data_offset,     // "tcp.data_offset": below 5 words or beyond the segment (ports set)
};

struct TcpHeader {
  uint16_t src_port = 0;
  uint16_t dst_port = 0;
  uint32_t seq = 0;
  uint8_t flags = 0;     // FIN 0x01, SYN 0x02, RST 0x04, PSH 0x08, ACK 0x10, ...
  size_t header_len = 0; // data offset * 4
  ByteView payload;
};

// Inline: the TCP offloads read every packet's header with it.
inline TcpError parse_tcp(ByteView p, TcpHeader& out) {
  if (p.size() < 4) return TcpError::ports_truncated;
  out.src_port = load_be16(p.data());
  out.dst_port = load_be16(p.data() + 2);
  if (p.size() < kTcpHeaderSize) return TcpError::truncated;
  const size_t header = size_t(p[12] >> 4) * 4;
  if (header < kTcpHeaderSize || header > p.size()) return TcpError::data_offset;
  out.seq = load_be32(p.data() + 4);
  out.flags = p[13];
  out.header_len = header;
  out.payload = p.subspan(header);
  return TcpError::none;
}

// The Error a caller reports for `e` returned on `segment`: field and message.
Error to_error(TcpError e, ByteView segment);

} // namespace ikekit::wire
