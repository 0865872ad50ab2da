#include "io/engine_idle_work.hpp"

#include "crypto/kex.hpp"

#include <utility>

namespace ikekit::io {

namespace {
// Holds `mu` for its lifetime when there is one.
std::unique_lock<std::mutex> lock_if(std::mutex* mu) {
  return mu ? std::unique_lock<std::mutex>(*mu) : std::unique_lock<std::mutex>();
}

// Behind a lock: the ladder runs without it (Engine::spare_key_group, add_spare_key), so
// a message the socket thread hands the engine meanwhile is not held up for it.
void make_spare_unlocked(ike::Engine& engine, std::mutex& mu, Rng& rng) {
  const crypto::TransformInfo* group = nullptr;
  {
    std::lock_guard<std::mutex> lock(mu);
    group = engine.spare_key_group();
  }
  if (!group) return;
  auto kex = crypto::KeyExchange::generate(*group, rng);
  std::lock_guard<std::mutex> lock(mu);
  if (!kex) return engine.spare_key_failed(*group); // not asked for again at every wait
  engine.add_spare_key(std::move(*kex));
}
} // namespace

void set_engine_idle_work(EventLoop& loop, std::function<ike::Engine&()> engine, std::mutex* mu,
                          Rng* rng) {
  auto pending = [engine, mu] {
    auto held = lock_if(mu);
    return engine().has_idle_work();
  };
  auto work = [engine = std::move(engine), mu, rng](TimePoint now) {
    if (mu && rng) return make_spare_unlocked(engine(), *mu, *rng);
    auto held = lock_if(mu);
    engine().idle_work(now);
  };
  loop.set_idle_work(std::move(pending), std::move(work));
}

} // namespace ikekit::io
