// The randomness real runs hand to engines: OpenSSL's CSPRNG (RAND_bytes), drawn 256
// bytes at a time into a per-thread pool that hands each byte out once (wiped as it goes,
// discarded in a forked child). Safe to share between threads. Tests and fuzzers use
// SeededRng instead; nothing else changes.
#pragma once

#include "base/rng.hpp"

namespace ikekit::crypto {

class SystemRng final : public Rng {
public:
  // Aborts if the CSPRNG fails: there is no safe way to go on without randomness.
  void fill(MutBytes out) override;
};

} // namespace ikekit::crypto
