#include "io/engine_idle_work.hpp"

#include <utility>

namespace ikekit::io {

namespace {
// Holds `mu` for its lifetime when there is one.
std::unique_lock<std::mutex> lock_if(std::mutex* mu) {
  return mu ? std::unique_lock<std::mutex>(*mu) : std::unique_lock<std::mutex>();
}
} // namespace

void set_engine_idle_work(EventLoop& loop, std::function<ike::Engine&()> engine, std::mutex* mu) {
  auto pending = [engine, mu] {
    auto held = lock_if(mu);
    return engine().has_idle_work();
  };
  auto work = [engine = std::move(engine), mu](TimePoint now) {
    auto held = lock_if(mu);
    engine().idle_work(now);
  };
  loop.set_idle_work(std::move(pending), std::move(work));
}

} // namespace ikekit::io
