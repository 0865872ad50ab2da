#include "base/endpoint.hpp"

namespace ikekit {

std::string Endpoint::to_string() const {
  if (address.is_v4()) return address.to_string() + ":" + std::to_string(port);
  return "[" + address.to_string() + "]:" + std::to_string(port);
}

} // namespace ikekit
