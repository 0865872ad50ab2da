#include "base/hex.hpp"

#include <algorithm>

namespace ikekit {

namespace {
constexpr char kDigits[] = "0123456789abcdef";

int nibble(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
} // namespace

void append_hex(std::string& out, ByteView data) {
  for (uint8_t b : data) {
    out += kDigits[b >> 4];
    out += kDigits[b & 15];
  }
}

void append_hex_u32(std::string& out, uint32_t v) {
  uint8_t b[4];
  store_be32(b, v);
  append_hex(out, b);
}

void append_hex_u64(std::string& out, uint64_t v) {
  uint8_t b[8];
  store_be64(b, v);
  append_hex(out, b);
}

std::string to_hex(ByteView data) {
  std::string s;
  s.reserve(data.size() * 2);
  append_hex(s, data);
  return s;
}

std::string to_hex_u32(uint32_t v) {
  std::string s;
  append_hex_u32(s, v);
  return s;
}

std::string to_hex_u64(uint64_t v) {
  std::string s;
  s.reserve(16);
  append_hex_u64(s, v);
  return s;
}

std::optional<uint64_t> parse_hex_u64(std::string_view text, size_t max_digits) {
  if (text.empty() || text.size() > std::min<size_t>(max_digits, 16)) return std::nullopt;
  uint64_t v = 0;
  for (char c : text) {
    int d = nibble(c);
    if (d < 0) return std::nullopt;
    v = v << 4 | uint64_t(d);
  }
  return v;
}

Result<Bytes> from_hex(std::string_view text, std::string_view field) {
  if (text.size() >= 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X'))
    text.remove_prefix(2);
  Bytes out;
  out.reserve(text.size() / 2);
  int high = -1;
  for (char c : text) {
    if (c == ':' || c == ' ') continue;
    int n = nibble(c);
    if (n < 0)
      return make_error(Errc::bad_value, std::string(field),
                        std::string("\"") + c + "\" is not a hex digit");
    if (high < 0) {
      high = n;
    } else {
      out.push_back(uint8_t(high << 4 | n));
      high = -1;
    }
  }
  if (high >= 0)
    return make_error(Errc::bad_length, std::string(field), "odd number of hex digits");
  return out;
}

} // namespace ikekit
