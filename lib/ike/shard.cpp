// SPI-encoded ownership of IKE SAs across engines (ike/shard.hpp).
#include "ike/shard.hpp"

namespace ikekit::ike {

namespace {

uint32_t shard_byte(uint32_t top, Shard s) {
  if (s.count <= 1) return top;
  uint32_t b = top - top % s.count + s.index;
  return b > 0xFF ? b - s.count : b;
}

// splitmix64's finalizer: SPIi is the peer's choice, so spread every bit of it.
uint64_t mix(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

} // namespace

uint64_t shard_ike_spi(uint64_t random, Shard s) {
  uint64_t top = shard_byte(uint32_t(random >> 56), s);
  return (random & 0x00FFFFFFFFFFFFFFULL) | (top << 56);
}

uint32_t shard_child_spi(uint32_t random, Shard s) {
  uint32_t top = shard_byte(random >> 24, s);
  return (random & 0x00FFFFFFu) | (top << 24);
}

uint32_t ike_spi_shard(uint64_t spi, uint32_t count) {
  return count <= 1 ? 0 : uint32_t(spi >> 56) % count;
}

uint32_t child_spi_shard(uint32_t spi, uint32_t count) {
  return count <= 1 ? 0 : (spi >> 24) % count;
}

uint32_t sa_shard(uint64_t sa, uint32_t count) {
  return count <= 1 || sa == 0 ? 0 : uint32_t((sa - 1) % count);
}

uint32_t message_shard(ByteView m, uint32_t count) {
  constexpr size_t kHeader = 28; // RFC 7296 3.1
  constexpr uint8_t kInitiatorFlag = 0x08;
  if (count <= 1 || m.size() < kHeader) return 0;
  uint64_t spi_i = load_be64(m.data());
  uint64_t spi_r = load_be64(m.data() + 8);
  if (!(m[19] & kInitiatorFlag)) return ike_spi_shard(spi_i, count);
  if (spi_r == 0) return uint32_t(mix(spi_i) % count);
  return ike_spi_shard(spi_r, count);
}

} // namespace ikekit::ike
