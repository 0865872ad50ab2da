// Lowercase hex, the form every byte string takes in our JSON and key files.
#pragma once

#include "base/bytes.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace ikekit {

std::string to_hex(ByteView data);
std::string to_hex_u32(uint32_t v); // 8 digits, e.g. an ESP SPI
std::string to_hex_u64(uint64_t v); // 16 digits, e.g. an IKE SPI
// The same appended to `out` (a buffer reused line after line: no temporary string).
void append_hex(std::string& out, ByteView data);
void append_hex_u32(std::string& out, uint32_t v);
void append_hex_u64(std::string& out, uint64_t v);
// The inverse of to_hex_u32/to_hex_u64: 1..max_digits hex digits of either case, no
// prefix or separators; nullopt otherwise.
std::optional<uint64_t> parse_hex_u64(std::string_view text, size_t max_digits = 16);

// Accepts an optional "0x" prefix and ':' or ' ' separators; `field` names the input in errors.
Result<Bytes> from_hex(std::string_view text, std::string_view field);

} // namespace ikekit
