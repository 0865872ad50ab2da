// The randomness real runs hand to engines: OpenSSL's CSPRNG (RAND_bytes). Tests and
// fuzzers use SeededRng instead; nothing else changes.
#pragma once

#include "base/rng.hpp"

namespace ikekit::crypto {

class SystemRng final : public Rng {
public:
  // Aborts if the CSPRNG fails: there is no safe way to go on without randomness.
  void fill(MutBytes out) override;
};

} // namespace ikekit::crypto
