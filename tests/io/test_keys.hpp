// An AES-256-GCM SA direction with an all-zero key (RFC 4106: 32 key + 4 salt bytes),
// for the data-plane tests that need a valid SA but no particular key.
#pragma once

#include "io/dataplane/child_sa.hpp"

namespace netns_test {

inline ikekit::io::dataplane::SaKeys gcm_keys(uint32_t spi) {
  ikekit::io::dataplane::SaKeys k;
  k.spi = spi;
  k.encr = ikekit::crypto::find_keyword(ikekit::crypto::TransformKind::encr, "aes256gcm16");
  k.encr_key = ikekit::SecretBytes(36);
  return k;
}

} // namespace netns_test
