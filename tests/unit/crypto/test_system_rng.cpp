// SystemRng: OpenSSL's CSPRNG, drawn in blocks and handed out once per thread. What must
// hold whatever the pooling: no byte is handed out twice (in one process, across threads,
// or to a forked child and its parent), and requests of any size are filled.
#include "crypto/system_rng.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <set>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

using namespace ikekit;

namespace {
Bytes draw(crypto::SystemRng& rng, size_t n) {
  Bytes b(n);
  rng.fill(b);
  return b;
}
} // namespace

TEST_CASE("SystemRng fills every size and never repeats a block", "[crypto][rng]") {
  crypto::SystemRng rng;
  std::set<Bytes> seen;
  for (size_t n : {1, 8, 31, 32, 255, 256, 257, 1000, 4096}) {
    Bytes b = draw(rng, n);
    REQUIRE(b.size() == n);
    if (n >= 8) CHECK(seen.insert(b).second);
  }
  for (int i = 0; i < 200; ++i) // many nonce-sized draws: all distinct
    CHECK(seen.insert(draw(rng, 32)).second);
  // 4096 bytes all zero would mean the large path did not write.
  Bytes big = draw(rng, 4096);
  CHECK(std::count(big.begin(), big.end(), 0) < 100);
}

TEST_CASE("SystemRng: threads draw distinct bytes", "[crypto][rng]") {
  crypto::SystemRng rng; // one instance shared, as engines on several threads may
  std::vector<std::vector<Bytes>> got(4);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < got.size(); ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 100; ++i)
        got[t].push_back(draw(rng, 16));
    });
  for (auto& th : threads)
    th.join();
  std::set<Bytes> all;
  for (auto& v : got)
    for (auto& b : v)
      all.insert(b);
  CHECK(all.size() == 400);
}

// A forked child must not replay bytes its parent drew but had not handed out yet
// (the same nonces or private keys on both sides of a fork).
TEST_CASE("SystemRng: a forked child does not repeat its parent's bytes", "[crypto][rng]") {
  crypto::SystemRng rng;
  draw(rng, 8); // the parent now has bytes drawn ahead, if it pools
  int fds[2];
  REQUIRE(pipe(fds) == 0);
  pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    Bytes b = draw(rng, 32);
    _exit(write(fds[1], b.data(), b.size()) == 32 ? 0 : 1);
  }
  close(fds[1]);
  Bytes child(32);
  ssize_t n = read(fds[0], child.data(), child.size());
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  REQUIRE(n == 32);
  CHECK(draw(rng, 32) != child);
}
