// Randomness is injected: engines draw only from the Rng they were handed, so tests
// and fuzzers can seed it (DESIGN 1).
#pragma once

#include "base/bytes.hpp"

#include <cstdint>

namespace ikekit {

class Rng {
public:
  virtual ~Rng() = default;
  virtual void fill(MutBytes out) = 0;
};

// Deterministic generator for tests and fuzzing (splitmix64); never for real keys.
class SeededRng final : public Rng {
public:
  explicit SeededRng(uint64_t seed) : state_(seed) {}
  void fill(MutBytes out) override {
    for (auto& b : out) {
      if (left_ == 0) {
        word_ = next();
        left_ = 8;
      }
      b = uint8_t(word_);
      word_ >>= 8;
      --left_;
    }
  }

private:
  uint64_t next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  uint64_t state_;
  uint64_t word_ = 0;
  int left_ = 0;
};

} // namespace ikekit
