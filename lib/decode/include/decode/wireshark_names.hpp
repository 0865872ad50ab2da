// Algorithm names as Wireshark's key tables spell them, both directions.
// IKEv2 names live in the crypto table (TransformInfo::wireshark_name); the ESP
// table (packet-esp.c) uses its own, key-length-free names, mapped here.
#pragma once

#include "crypto/suite.hpp"

#include <string_view>

namespace ikekit::decode {

// IKEv2 table: by name, e.g. "AES-GCM-256 with 16 octet ICV [RFC5282]".
const crypto::TransformInfo* ikev2_table_transform(crypto::TransformKind kind,
                                                   std::string_view name);
// esp_sa table: by name and key size in bytes (AEAD keys include the salt).
const crypto::TransformInfo* esp_table_transform(crypto::TransformKind kind, std::string_view name,
                                                 size_t key_len);
// "ANY 64 bit authentication [no checking]" (64, 96, 128, 192, 256 bits): the ICV length
// in bytes; 0 for any other name.
size_t esp_table_unchecked_icv(std::string_view name);
// The deprecated "AES-GCM [RFC4106]", whose ICV length comes from the authentication column.
bool esp_table_gcm_without_icv(std::string_view name);
// The esp_sa name for a transform; "" when Wireshark cannot decrypt it.
std::string_view esp_table_name(const crypto::TransformInfo* t);
// The IKEv2 table name, with the "no integrity" and "NULL" spellings for absent transforms.
std::string_view ikev2_table_name(crypto::TransformKind kind, const crypto::TransformInfo* t);

} // namespace ikekit::decode
