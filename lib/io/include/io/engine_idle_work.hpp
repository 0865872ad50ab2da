// An engine's idle work on an event loop (ike::Engine::idle_work: the next IKE_SA_INIT's
// key pair, made while the loop has nothing to read). What ike-up's engines -- the
// socket thread's and each EngineWorker's -- and ike-bench's udp initiator all wire.
#pragma once

#include "base/rng.hpp"
#include "ike/engine.hpp"
#include "io/event_loop.hpp"

#include <functional>
#include <mutex>

namespace ikekit::io {

// `engine` names the engine at each call (ike-bench's initiator replaces its engine every
// few hundred handshakes). `mu`, when given, is held around each call to the engine: an
// EngineWorker's engine is also used from the socket thread. With `rng` too (the
// engine's own, safe to share between threads: crypto::SystemRng) the key pair is made
// without holding `mu`, so that thread is not kept waiting for the ladder.
void set_engine_idle_work(EventLoop& loop, std::function<ike::Engine&()> engine,
                          std::mutex* mu = nullptr, Rng* rng = nullptr);

} // namespace ikekit::io
