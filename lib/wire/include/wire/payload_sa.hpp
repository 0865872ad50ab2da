// Security Association payload, RFC 7296 3.3.
//
// SA body = one or more Proposal substructures:
//  0                   1                   2                   3
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// | Last Substruc |   RESERVED    |         Proposal Length       |   Last Substruc: 0 last, 2 more
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// | Proposal Num  |  Protocol ID  |    SPI Size   |Num  Transforms|
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// ~                        SPI (variable)                         ~
// ~                        <Transforms>                           ~
//
// Transform substructure (3.3.2):
// | Last Substruc |   RESERVED    |        Transform Length       |   Last Substruc: 0 last, 3 more
// |Transform Type |   RESERVED    |          Transform ID         |
// ~                      Transform Attributes                     ~
//
// Transform attribute (3.3.5):
// |A|       Attribute Type        |    AF=0  Attribute Length     |
// |F|                             |    AF=1  Attribute Value      |
// |                   AF=0  Attribute Value                       |   (TLV only)
// Key Length (type 14) is the only attribute RFC 7296 defines; it is TV (AF=1).
#pragma once

#include "base/bytes.hpp"
#include "base/result.hpp"
#include "wire/ids.hpp"

#include <cstdint>
#include <optional>
#include <vector>

namespace ikekit::wire {

struct TransformAttribute {
  uint16_t type = 0;  // 15 bits; TransformAttr::key_length = 14
  bool tv = true;     // AF bit: value in the header (TV) or in `data` (TLV)
  uint16_t value = 0; // TV value
  ByteView data;      // TLV value
};

struct Transform {
  TransformType type = TransformType::encr;
  uint16_t id = 0; // EncrId / PrfId / IntegId / KeGroup / EsnId by type
  std::vector<TransformAttribute> attributes;

  std::optional<uint16_t> key_length() const; // Key Length attribute in bits, if present
  std::string_view id_name() const { return transform_id_name(type, id); }
};

struct Proposal {
  uint8_t number = 1; // RFC 7296 3.3.1: first proposal 1, then +1
  ProtocolId protocol = ProtocolId::ike;
  ByteView spi; // SPI Size bytes (0 in IKE_SA_INIT, 8 when rekeying IKE, 4 for AH/ESP)
  std::vector<Transform> transforms;
};

struct SaPayload {
  std::vector<Proposal> proposals;
};

// Errors name "sa.proposal[i]..." and "sa.proposal[i].transform[j]..." (0-based indexes),
// e.g. "sa.proposal[1].transform[3].length", "...attribute[0].length".
Result<SaPayload> parse_sa(ByteView body);
void write_body(Writer& w, const SaPayload& sa);
Result<size_t> serialize(const SaPayload& sa, MutBytes out);

inline constexpr uint8_t kLastSubstrucProposalMore = 2;
inline constexpr uint8_t kLastSubstrucTransformMore = 3;
inline constexpr uint16_t kAttributeFormatTv = 0x8000;

} // namespace ikekit::wire
