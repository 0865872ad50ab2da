// An unsigned number's decimal text appended to a caller's string: the pieces of a
// to_string(), or of a line written into a reused buffer, without a temporary string.
#pragma once

#include <charconv>
#include <cstdint>
#include <string>

namespace ikekit {

inline void append_decimal(std::string& out, uint64_t v) {
  char digits[20]; // UINT64_MAX has 20
  auto end = std::to_chars(digits, digits + sizeof digits, v).ptr;
  out.append(digits, end);
}

} // namespace ikekit
