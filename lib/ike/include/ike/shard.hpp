// Multi-core responders (io::IkeRunner with threads): N engines each own their IKE SAs,
// and every datagram must reach the engine that owns its SA, whatever 4-tuple it came
// from (NAT-T moves a peer from port 500 to 4500, NAT mappings change, MOBIKE moves it).
// So ownership follows the SPI (RFC 7296 2.6: "the recipient's SPI" names the SA): engine
// `index` of `count` hands out IKE SPIs and Child SPIs whose top byte is congruent to
// `index` modulo `count`, and SaIds index+1, index+1+count, ...; a dispatcher then finds
// the owner of any IKE message from its header alone (message_shard). With count 1
// nothing changes: SPIs stay fully random and SaIds count 1, 2, 3.
#pragma once

#include "base/bytes.hpp"

#include <cstdint>

namespace ikekit::ike {

inline constexpr uint32_t kMaxShards = 64;

struct Shard {
  uint32_t index = 0;
  uint32_t count = 1;
};

// `random` with its top byte moved to the nearest value congruent to s.index (mod
// s.count): 8 - log2(count) bits of the top byte stay random.
uint64_t shard_ike_spi(uint64_t random, Shard s);
uint32_t shard_child_spi(uint32_t random, Shard s);
// The shard that handed out our SPI `spi` (one of shard_ike_spi's).
uint32_t ike_spi_shard(uint64_t spi, uint32_t count);
uint32_t child_spi_shard(uint32_t spi, uint32_t count);
// SaIds: shard s allocates first_sa_id(s), then steps by s.count.
// (SaId is uint64_t, ike/events.hpp.)
inline uint64_t first_sa_id(Shard s) { return uint64_t(s.index) + 1; }
uint32_t sa_shard(uint64_t sa, uint32_t count);

// The engine that must receive this IKE message (bare, without the non-ESP marker):
//   - from the original initiator (I flag, RFC 7296 3.1) with responder SPI zero: an
//     IKE_SA_INIT request, new or retransmitted, or its COOKIE or INVALID_KE_PAYLOAD
//     retry; hashed from SPIi, which those keep (RFC 7296 2.6, 1.2), so a retransmission
//     reaches the engine that holds the half-open SA and gets the same answer (2.1);
//   - from the original initiator otherwise: ours is SPIr;
//   - from the original responder: ours is SPIi (we initiated, or rekeyed: 2.18).
// Anything shorter than the IKE header goes to shard 0, which drops and counts it.
uint32_t message_shard(ByteView ike_message, uint32_t count);

} // namespace ikekit::ike
