// Key files for ike-decode (format detected from content, or given):
//   - ikekit's key log, JSON Lines (`ike-up --keylog`; ikekit-json(7) "key log"),
//   - Wireshark's ikev2_decryption_table and esp_sa UAT files (also what strongSwan's
//     save-keys plugin writes),
//   - strongSwan's charon debug log at "ike 4, chd 4", Libreswan's pluto debug log with
//     plutodebug=private (log_keys.hpp: matched to the capture's SAs as they appear).
// Errors name the file, the line and the field (exit 2 in the tool).
#pragma once

#include "base/result.hpp"
#include "base/secret_file.hpp"
#include "decode/key_store.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace ikekit::decode {

enum class KeyFileFormat { ikekit_keylog, wireshark_ikev2, wireshark_esp, charon_log, pluto_log };

std::string_view key_file_format_name(KeyFileFormat f);
// --keys-format values: "ikekit", "wireshark-ikev2", "wireshark-esp", "charon", "pluto";
// std::nullopt for "auto". Errc::usage naming --keys-format otherwise.
Result<std::optional<KeyFileFormat>> parse_key_format(std::string_view text);

// Reads `path` (read_secret_file: no symlink, a regular file, at most kMaxKeyFileBytes)
// and adds every SA it holds to `store`; returns the format (detected unless `format` is
// given). ike-decode reads the keys of finished sessions whatever the file's mode
// (shared_ok); esp-tunnel, whose keys protect live traffic, asks for owner_only.
inline constexpr size_t kMaxKeyFileBytes = 64u << 20;
Result<KeyFileFormat> load_key_file(const std::string& path, KeyStore& store,
                                    SecretAccess access = SecretAccess::shared_ok,
                                    std::optional<KeyFileFormat> format = std::nullopt);
// The same for text already in memory; `name` is used in error fields.
Result<KeyFileFormat> parse_key_text(std::string_view text, std::string_view name, KeyStore& store,
                                     std::optional<KeyFileFormat> format = std::nullopt);

} // namespace ikekit::decode
