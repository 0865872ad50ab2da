// Anti-replay sliding window for ESP (RFC 4303 3.4.3) kept as a ring of 64-bit
// blocks (RFC 6479): advancing the window clears whole blocks instead of shifting
// the bitmap, so the cost of a jump is bounded by the number of blocks.
//
// The receiver checks a sequence number BEFORE verifying the ICV (cheap rejection
// of duplicates) and commits it only AFTER the ICV verified (RFC 4303 3.4.3:
// "the receive window is updated only if the integrity verification succeeds").
// Sequence numbers are 64-bit; without ESN the high half is simply always 0.
#pragma once

#include "base/result.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace ikekit::esp {

enum class ReplayCheck : uint8_t {
  ok,      // new, or inside the window and not yet seen
  replay,  // inside the window and already seen
  too_old, // left of the window (RFC 4303 3.4.3: "falls to the left of the window")
};

class ReplayWindow {
public:
  static constexpr uint32_t kDefaultSize = 1024;
  static constexpr uint32_t kMaxSize = 65536;

  // size: window width in packets, 1..kMaxSize, rounded up to a multiple of 64.
  static Result<ReplayWindow> create(uint32_t size = kDefaultSize);

  // Width W: sequence numbers T-W+1 .. T are inside the window (T = highest()).
  uint32_t size() const { return size_; }
  // Highest sequence number committed so far; 0 before the first packet.
  uint64_t highest() const { return top_; }

  // Does not change the window. Sequence number 0 is never valid (RFC 4303 3.3.3:
  // the first packet carries 1) and is reported too_old.
  ReplayCheck check(uint64_t seq) const;
  // Marks `seq` as received, sliding the window when seq > highest(). Call only
  // after check(seq) == ok and the ICV verified.
  void commit(uint64_t seq);

  // RFC 4303 Appendix A2.2: the 64-bit sequence number a received packet most
  // likely carries, given its low 32 bits and the window. nullopt when the only
  // candidate would lie before sequence number 1 (nothing valid to try).
  std::optional<uint64_t> infer_esn(uint32_t seq_lo) const;

private:
  ReplayWindow(uint32_t size, size_t blocks) : size_(size), mask_(blocks - 1), bits_(blocks, 0) {}

  uint32_t size_;
  size_t mask_; // blocks - 1; blocks is a power of two >= size/64 + 1
  uint64_t top_ = 0;
  std::vector<uint64_t> bits_; // sized once at creation, never per packet
};

} // namespace ikekit::esp
