// Randomness from the kernel (getrandom(2)) for the data plane's AES-CBC IVs
// (RFC 3602 2.1: IVs must be unpredictable). Draws 4 KiB at a time so a sealed
// packet costs no system call. One instance per thread: not thread-safe.
#pragma once

#include "base/rng.hpp"

#include <array>
#include <cstddef>
#include <cstdint>

namespace ikekit::io::dataplane {

class OsRng final : public Rng {
public:
  void fill(MutBytes out) override;
  ~OsRng() override;

private:
  void refill();
  std::array<uint8_t, 4096> pool_{};
  size_t used_ = 4096;
};

} // namespace ikekit::io::dataplane
