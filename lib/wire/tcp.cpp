#include "wire/tcp.hpp"

#include <string>

namespace ikekit::wire {

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
