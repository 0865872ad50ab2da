#include "esp/replay_window.hpp"

#include <string>

namespace ikekit::esp {

namespace {
constexpr unsigned kBlockBits = 64;

size_t next_pow2(size_t n) {
  size_t p = 1;
  while (p < n)
    p <<= 1;
  return p;
}
} // namespace

Result<ReplayWindow> ReplayWindow::create(uint32_t size) {
  if (size == 0 || size > kMaxSize)
    return make_error(Errc::bad_value, "replay_window",
                      "window size " + std::to_string(size) + " is not in 1.." +
                          std::to_string(kMaxSize));
  uint32_t rounded = (size + kBlockBits - 1) / kBlockBits * kBlockBits;
  // RFC 6479 3: one block more than the window needs, so the block holding the
  // newest bit never overlaps the block holding the oldest bit still in the window.
  size_t blocks = next_pow2(rounded / kBlockBits + 1);
  return ReplayWindow(rounded, blocks);
}

ReplayCheck ReplayWindow::check(uint64_t seq) const {
  if (seq == 0) return ReplayCheck::too_old;
  if (seq > top_) return ReplayCheck::ok;
  if (top_ - seq >= size_) return ReplayCheck::too_old;
  uint64_t block = bits_[(seq / kBlockBits) & mask_];
  return (block >> (seq % kBlockBits)) & 1 ? ReplayCheck::replay : ReplayCheck::ok;
}

void ReplayWindow::commit(uint64_t seq) {
  if (seq > top_) {
    // RFC 6479 3: clear the blocks the window slides into; a jump of more than the
    // ring clears every block once.
    uint64_t current = top_ / kBlockBits;
    uint64_t target = seq / kBlockBits;
    uint64_t steps = target - current;
    if (steps > bits_.size()) steps = bits_.size();
    for (uint64_t i = 1; i <= steps; ++i)
      bits_[(current + i) & mask_] = 0;
    top_ = seq;
  } else if (top_ - seq >= size_) {
    return; // left of the window: nothing to remember
  }
  bits_[(seq / kBlockBits) & mask_] |= uint64_t(1) << (seq % kBlockBits);
}

std::optional<uint64_t> ReplayWindow::infer_esn(uint32_t seq_lo) const {
  // RFC 4303 A2.2, with T = top_, W = size_, Tl/Th the halves of T and
  // Bl = Tl - W + 1 (mod 2^32) the low half of the window's bottom.
  const uint32_t tl = uint32_t(top_);
  const uint32_t th = uint32_t(top_ >> 32);
  const uint32_t bl = tl - size_ + 1;
  uint32_t seq_hi;
  if (tl >= size_ - 1) {
    // Case A: the window lies within one 2^32 block.
    seq_hi = seq_lo >= bl ? th : th + 1;
    if (seq_lo < bl && th == UINT32_MAX) return std::nullopt; // past 2^64 - 1
  } else {
    // Case B: the window spans the boundary below Tl; a Seql at or above Bl
    // belongs to the previous 2^32 block.
    if (seq_lo >= bl) {
      if (th == 0) return std::nullopt; // there is no block before the first
      seq_hi = th - 1;
    } else {
      seq_hi = th;
    }
  }
  return uint64_t(seq_hi) << 32 | seq_lo;
}

} // namespace ikekit::esp
