// Key files for ike-decode (format detected from content):
//   - ikekit's key log, JSON Lines (`ike-up --keylog`; ikekit-json(7) "key log"),
//   - Wireshark's ikev2_decryption_table and esp_sa UAT files.
// Errors name the file, the line and the field (exit 2 in the tool).
#pragma once

#include "base/result.hpp"
#include "decode/key_store.hpp"

#include <string>
#include <string_view>

namespace ikekit::decode {

enum class KeyFileFormat { ikekit_keylog, wireshark_ikev2, wireshark_esp };

std::string_view key_file_format_name(KeyFileFormat f);

// Reads `path` and adds every SA it holds to `store`; returns the detected format.
Result<KeyFileFormat> load_key_file(const std::string& path, KeyStore& store);
// The same for text already in memory; `name` is used in error fields.
Result<KeyFileFormat> parse_key_text(std::string_view text, std::string_view name, KeyStore& store);

} // namespace ikekit::decode
