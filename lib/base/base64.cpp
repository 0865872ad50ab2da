#include "base/base64.hpp"

namespace ikekit {

std::string to_base64(ByteView data) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= data.size(); i += 3) {
    uint32_t v = uint32_t(data[i]) << 16 | uint32_t(data[i + 1]) << 8 | data[i + 2];
    for (int s = 18; s >= 0; s -= 6)
      out += kAlphabet[(v >> s) & 63];
  }
  if (size_t rest = data.size() - i; rest > 0) {
    uint32_t v = uint32_t(data[i]) << 16 | (rest == 2 ? uint32_t(data[i + 1]) << 8 : 0);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += rest == 2 ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::string to_pem(ByteView der, std::string_view label) {
  std::string b64 = to_base64(der);
  std::string out = "-----BEGIN " + std::string(label) + "-----\n";
  for (size_t i = 0; i < b64.size(); i += 64)
    out += b64.substr(i, 64) + "\n";
  out += "-----END " + std::string(label) + "-----\n";
  return out;
}

} // namespace ikekit
