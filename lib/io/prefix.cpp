#include "io/prefix.hpp"

#include <charconv>

namespace ikekit::io {

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

std::string Prefix::to_string() const { return addr.to_string() + "/" + std::to_string(len); }

} // namespace ikekit::io
