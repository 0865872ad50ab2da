#include "base/prefix.hpp"

#include "base/decimal.hpp"

#include <charconv>

namespace ikekit {

Prefix Prefix::any(IpAddress::Family f) {
  static constexpr uint8_t kZero[16] = {};
  return f == IpAddress::Family::v4 ? Prefix{IpAddress::v4(ByteView(kZero, 4)), 0}
                                    : Prefix{IpAddress::v6(ByteView(kZero, 16)), 0};
}

std::optional<Prefix> Prefix::parse(std::string_view text) {
  auto slash = text.find('/');
  auto addr = IpAddress::parse(text.substr(0, slash));
  if (!addr) return std::nullopt;
  if (slash == std::string_view::npos) return host(*addr);
  std::string_view len_text = text.substr(slash + 1);
  unsigned len = 0;
  auto [p, ec] = std::from_chars(len_text.data(), len_text.data() + len_text.size(), len);
  if (ec != std::errc() || p != len_text.data() + len_text.size() || len_text.empty() ||
      len > (addr->is_v4() ? 32u : 128u))
    return std::nullopt;
  return Prefix{*addr, uint8_t(len)};
}

void Prefix::append_to(std::string& out) const {
  addr.append_to(out);
  out += '/';
  append_decimal(out, len);
}

std::string Prefix::to_string() const {
  std::string s;
  append_to(s);
  return s;
}

bool Prefix::contains(const IpAddress& a) const {
  if (addr.family() != a.family()) return false;
  ByteView x = addr.bytes(), y = a.bytes();
  size_t full = len / 8, rest = len % 8;
  for (size_t i = 0; i < full; ++i)
    if (x[i] != y[i]) return false;
  if (rest == 0) return true;
  uint8_t mask = uint8_t(0xff << (8 - rest));
  return (x[full] & mask) == (y[full] & mask);
}

bool Prefix::overlaps(const Prefix& o) const {
  return len <= o.len ? contains(o.addr) : o.contains(addr);
}

} // namespace ikekit
