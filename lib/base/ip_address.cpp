#include "base/ip_address.hpp"

#include <algorithm>
#include <arpa/inet.h>

namespace ikekit {

IpAddress IpAddress::v4(ByteView four_bytes) {
  IpAddress a;
  a.family_ = Family::v4;
  std::copy_n(four_bytes.begin(), 4, a.bytes_.begin());
  return a;
}

IpAddress IpAddress::v6(ByteView sixteen_bytes) {
  IpAddress a;
  a.family_ = Family::v6;
  std::copy_n(sixteen_bytes.begin(), 16, a.bytes_.begin());
  return a;
}

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
  std::string s(text);
  uint8_t buf[16];
  if (inet_pton(AF_INET, s.c_str(), buf) == 1) return v4(ByteView(buf, 4));
  if (inet_pton(AF_INET6, s.c_str(), buf) == 1) return v6(ByteView(buf, 16));
  return std::nullopt;
}

void IpAddress::append_to(std::string& out) const {
  char buf[INET6_ADDRSTRLEN];
  inet_ntop(is_v4() ? AF_INET : AF_INET6, bytes_.data(), buf, sizeof buf);
  out += buf;
}

std::string IpAddress::to_string() const {
  std::string s;
  append_to(s);
  return s;
}

} // namespace ikekit
