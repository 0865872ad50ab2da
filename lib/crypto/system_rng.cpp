#include "crypto/system_rng.hpp"

#include <algorithm>
#include <array>
#include <cstdlib>
#include <cstring>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <unistd.h>

namespace ikekit::crypto {

namespace {

// OpenSSL's DRBG costs about as much for 256 bytes as for 8 (it re-keys and checks for a
// fork on every call: 0.66 us against 0.72 us here), and an engine draws many small
// values per handshake (SPIs, nonces, private keys). So each thread draws 256 bytes at a
// time and hands each byte out once, wiping it as it goes.
struct Pool {
  std::array<uint8_t, 256> bytes{};
  size_t used = bytes.size();
  pid_t pid = 0;
  ~Pool() { OPENSSL_cleanse(bytes.data(), bytes.size()); }
};

void draw(uint8_t* out, size_t len) {
  if (RAND_bytes(out, int(len)) != 1) std::abort();
}

} // namespace

void SystemRng::fill(MutBytes out) {
  thread_local Pool pool;
  if (out.size() >= pool.bytes.size()) return draw(out.data(), out.size());
  // A forked child must not hand out what its parent drew ahead (the same nonce or
  // private key in both); OpenSSL's DRBG makes the same check.
  const pid_t pid = getpid();
  if (pool.pid != pid) {
    OPENSSL_cleanse(pool.bytes.data(), pool.bytes.size());
    pool.used = pool.bytes.size();
    pool.pid = pid;
  }
  size_t done = 0;
  while (done < out.size()) {
    if (pool.used == pool.bytes.size()) {
      draw(pool.bytes.data(), pool.bytes.size());
      pool.used = 0;
    }
    const size_t take = std::min(out.size() - done, pool.bytes.size() - pool.used);
    std::memcpy(out.data() + done, pool.bytes.data() + pool.used, take);
    OPENSSL_cleanse(pool.bytes.data() + pool.used, take);
    pool.used += take;
    done += take;
  }
}

} // namespace ikekit::crypto
