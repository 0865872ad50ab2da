// Where esp-tunnel's SA keys come from: hex flags (--cipher --key-in --key-out
// [--integ --integ-key-in --integ-key-out]) or an ikekit key log (--keys FILE,
// ikekit-json(7) "key log"), chosen by --spi-in / --spi-out.
#pragma once

#include "base/ip_address.hpp"
#include "base/result.hpp"
#include "io/dataplane/child_sa.hpp"

#include <string>

namespace esp_tunnel {

// A command-line error naming `flag` (Errc::usage: exit 2).
inline ikekit::Error flag_error(const std::string& flag, std::string msg) {
  return ikekit::make_error(ikekit::Errc::usage, flag, std::move(msg));
}

struct KeyFlags {
  std::string cipher, key_in, key_out;
  std::string integ, integ_key_in, integ_key_out;
};

// Parses "0x1234abcd" / "1234abcd" (1..8 hex digits, not a reserved SPI); `flag` names it.
ikekit::Result<uint32_t> parse_spi(const std::string& text, const std::string& flag);

// Fills in.encr/out.encr (and integ) and the keys from the flags; lengths are checked
// against the cipher (AEAD keys end with their 4-byte salt, RFC 4106 8.1 / RFC 7634 2).
ikekit::Result<void> keys_from_flags(const KeyFlags& f, ikekit::io::dataplane::ChildSaSpec& sa);

// Looks up sa.in.spi and sa.out.spi in the key log at `path`.
ikekit::Result<void> keys_from_file(const std::string& path, const KeyFlags& f,
                                    ikekit::io::dataplane::ChildSaSpec& sa);

} // namespace esp_tunnel
