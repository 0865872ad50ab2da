#include "io/engine_dispatcher.hpp"

#include "ike/shard.hpp"

#include <cstdlib>

namespace ikekit::io {

EngineDispatcher::EngineDispatcher(ike::Engine& engine0,
                                   std::vector<std::unique_ptr<EngineWorker>>& workers,
                                   const ike::Config& config, Rng& rng)
    : engine0_(engine0), workers_(workers), screen_(config, config.admission, rng) {}

EngineDispatcher::Route EngineDispatcher::dispatch(const ike::Datagram& d, TimePoint now,
                                                   bool lone) {
  auto o = screen_.screen(d.data, d.remote.address, now, answer_);
  if (o.verdict == ike::InitScreen::Verdict::answer) {
    answer_size_ = o.answer_size;
    return Route::answered;
  }
  if (o.verdict == ike::InitScreen::Verdict::drop) return Route::dropped;
  // ike/shard.hpp: the engine that owns the SA, whatever 4-tuple it came from.
  uint32_t owner = ike::message_shard(d.data, uint32_t(workers_.size() + 1));
  if (owner == 0) {
    engine0_.receive(d, now);
    return Route::engine0;
  }
  if (lone && workers_[owner - 1]->receive_if_idle(d, now)) return Route::worker_here;
  if (!workers_[owner - 1]->post(d)) {
    screen_.count_handoff_full();
    return Route::dropped;
  }
  posted_ |= uint64_t(1) << (owner - 1);
  return Route::worker;
}

void EngineDispatcher::kick_posted() {
  for (size_t w = 0; posted_; ++w, posted_ >>= 1)
    if (posted_ & 1) workers_[w]->kick_if_idle();
}

} // namespace ikekit::io
