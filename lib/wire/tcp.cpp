#include "wire/tcp.hpp"

#include <string>

namespace ikekit::wire {

TcpError parse_tcp(ByteView p, TcpHeader& out) {
  out = TcpHeader{};
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

Error to_error(TcpError e, ByteView p) {
  switch (e) {
  case TcpError::none:
    break;
  case TcpError::ports_truncated:
    return make_error(Errc::truncated, "tcp", "header needs 4 bytes for the ports");
  case TcpError::truncated:
    return make_error(Errc::truncated, "tcp", "header needs 20 bytes");
  case TcpError::data_offset:
    return make_error(Errc::bad_length, "tcp.data_offset",
                      std::to_string(size_t(p[12] >> 4) * 4) + "-byte header does not fit the " +
                          std::to_string(p.size()) + "-byte segment (at least 20)");
  }
  return make_error(Errc::bad_value, "tcp", "no error");
}

} // namespace ikekit::wire
