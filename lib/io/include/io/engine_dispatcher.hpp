// What the socket thread of a multi-core responder (IkeRunner with threads > 1) does with
// each IKE message it reads: first the InitScreen (ike/init_screen.hpp) -- under COOKIE
// pressure an IKE_SA_INIT request without a valid COOKIE is answered here with N(COOKIE)
// and goes no further (RFC 7296 2.6) -- then the hand-off to the engine that owns the
// message's SA (ike::message_shard): engine 0 on this thread, the others through their
// EngineWorker's inbox. An inbox that is full drops the message and counts it
// (DropReason::handoff_full); the peer retransmits. So a flood from spoofed addresses
// costs this thread one HMAC per request and never fills an inbox, which stays for
// legitimate handshakes and the messages of existing SAs.
//
// The half-open counts and the COOKIE secret are the AdmissionState every engine of the
// runner shares (Config::admission), so the thresholds hold for the responder as a
// whole and a COOKIE made here is valid at the engine that gets the retry.
#pragma once

#include "base/rng.hpp"
#include "ike/engine.hpp"
#include "ike/init_screen.hpp"
#include "io/engine_worker.hpp"

#include <array>
#include <memory>
#include <vector>

namespace ikekit::io {

class EngineDispatcher {
public:
  enum class Route : uint8_t {
    answered,    // answer() holds the N(COOKIE) response: send it back where d came from
    dropped,     // counted in stats()
    engine0,     // received by engine 0 (its transmits and events are the caller's to pump)
    worker,      // posted to a worker's inbox (kick_posted() after the batch)
    worker_here, // a lone message for an idle worker, received by its engine on this
                 // thread (EngineWorker::receive_if_idle): answered, events queued
  };

  // `workers`: engines 1 .. N-1; `config`: the responder's (Config::admission set);
  // `rng`: this thread's, for the COOKIE secret's renewal.
  EngineDispatcher(ike::Engine& engine0, std::vector<std::unique_ptr<EngineWorker>>& workers,
                   const ike::Config& config, Rng& rng);

  // `lone`: the only message of its receive batch. A lone message for a worker that is
  // asleep is handled here rather than handed off (no wake-up in its latency); in a
  // batch, messages go to the workers' inboxes so the engines work in parallel.
  Route dispatch(const ike::Datagram& d, TimePoint now, bool lone = false);
  ByteView answer() const { return ByteView(answer_.data(), answer_size_); }
  // Wakes every worker posted to since the last call.
  void kick_posted();
  // What this thread answered and dropped itself (ike::Stats, as an engine's).
  const ike::Stats& stats() const { return screen_.stats(); }

private:
  ike::Engine& engine0_;
  std::vector<std::unique_ptr<EngineWorker>>& workers_;
  ike::InitScreen screen_;
  std::array<uint8_t, ike::InitScreen::kMaxAnswer> answer_{};
  size_t answer_size_ = 0;
  uint64_t posted_ = 0; // bit w: worker w has new messages (ike::kMaxShards <= 64)
};

} // namespace ikekit::io
