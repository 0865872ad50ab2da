#include "crypto/system_rng.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <pthread.h>

namespace ikekit::crypto {

namespace {

// OpenSSL's DRBG costs about as much for 256 bytes as for 8 (it re-keys and checks for a
// fork on every call: 0.66 us against 0.72 us here), and an engine draws many small
// values per handshake (SPIs, nonces, private keys). So each thread draws 256 bytes at a
// time and hands each byte out once, wiping it as it goes.
struct Pool {
  std::array<uint8_t, 256> bytes{};
  size_t used = bytes.size();
  uint64_t forks_seen = 0;
  ~Pool() { OPENSSL_cleanse(bytes.data(), bytes.size()); }
};

// A forked child must not hand out what its parent drew ahead (the same nonce or private
// key in both). Rather than ask getpid() on every fill (a system call: glibc caches no
// pid, six per handshake), a handler that fork() runs in the child counts the forks;
// a pool filled before the last one is thrown away. (A child made by a raw clone(2)
// runs no handler; ikekit makes none, and posix_spawn's children exec at once.)
std::atomic<uint64_t> g_forks{0};

void count_fork_in_child() { g_forks.fetch_add(1, std::memory_order_relaxed); }

uint64_t forks_so_far() {
  static const bool registered = [] {
    return pthread_atfork(nullptr, nullptr, count_fork_in_child) == 0;
  }();
  if (!registered) std::abort(); // no way to tell a child from its parent: do not guess
  return g_forks.load(std::memory_order_relaxed);
}

void draw(uint8_t* out, size_t len) {
  if (RAND_bytes(out, int(len)) != 1) std::abort();
}

} // namespace

void SystemRng::fill(MutBytes out) {
  thread_local Pool pool;
  if (out.size() >= pool.bytes.size()) return draw(out.data(), out.size());
  const uint64_t forks = forks_so_far();
  if (pool.forks_seen != forks) {
    OPENSSL_cleanse(pool.bytes.data(), pool.bytes.size());
    pool.used = pool.bytes.size();
    pool.forks_seen = forks;
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
