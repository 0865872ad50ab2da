// --emit-wireshark: Wireshark key tables for every SA whose keys are known, so the
// same capture opens decrypted in Wireshark (WIRESHARK_CONFIG_DIR=DIR).
#pragma once

#include "base/result.hpp"
#include "decode/ike_tracker.hpp"
#include "decode/key_store.hpp"

#include <string>
#include <vector>

namespace ikekit::decode {

struct WiresharkExport {
  size_t ike_sas = 0;
  size_t esp_sas = 0;
  std::vector<std::string> skipped; // SAs Wireshark cannot decrypt, with the reason
};

// Writes DIR/ikev2_decryption_table, DIR/esp_sa and DIR/preferences (DIR is created).
Result<WiresharkExport> write_wireshark_tables(const std::string& dir, const KeyStore& keys,
                                               const IkeTracker& tracker);

} // namespace ikekit::decode
