#include "base/result.hpp"

namespace ikekit {

std::string_view errc_name(Errc code) {
  switch (code) {
  case Errc::truncated:
    return "truncated";
  case Errc::bad_length:
    return "bad_length";
  case Errc::bad_value:
    return "bad_value";
  case Errc::unsupported:
    return "unsupported";
  case Errc::not_found:
    return "not_found";
  case Errc::integrity:
    return "integrity";
  case Errc::crypto:
    return "crypto";
  case Errc::io:
    return "io";
  case Errc::usage:
    return "usage";
  case Errc::environment:
    return "environment";
  case Errc::protocol:
    return "protocol";
  case Errc::timeout:
    return "timeout";
  }
  return "unknown";
}

} // namespace ikekit
