#include "base/endpoint.hpp"

#include "base/decimal.hpp"

namespace ikekit {

void Endpoint::append_to(std::string& out) const {
  if (!address.is_v4()) out += '[';
  address.append_to(out);
  out += address.is_v4() ? ":" : "]:";
  append_decimal(out, port);
}

std::string Endpoint::to_string() const {
  std::string s;
  append_to(s);
  return s;
}

} // namespace ikekit
