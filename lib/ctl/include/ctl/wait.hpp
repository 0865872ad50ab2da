// What ends a request made with "wait":true (ikectl --wait): the engine events that
// finish, advance or fail an initiate, terminate or rekey. Sans-I/O: fed events, it says
// what each one means for the request.
#pragma once

#include "ike/events.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ikekit::ctl {

// One IKE SA, or one Child SA (by inbound SPI) under it.
struct Target {
  ike::SaId sa = 0;
  std::optional<uint32_t> spi_in;
};

enum class WaitKind { initiate, terminate, rekey };

struct Wait {
  WaitKind kind = WaitKind::initiate;
  std::vector<Target> pending; // done when empty
};

enum class WaitStep {
  unrelated, // not about the targets
  progress,  // about a target (shown to the waiting client), not the end
  done_ok,   // the last target finished
  failed,    // a target failed (the event is the evidence)
};

// Updates `w` (removes finished targets) and classifies `e`.
//   initiate:  ChildSaUp finishes; Failure or IkeSaDown fails.
//   terminate: IkeSaDown (or, for a Child SA, its ChildSaDown) finishes; Failure fails.
//   rekey:     IkeSaRekeyed / ChildSaRekeyed finishes; Failure or IkeSaDown fails.
WaitStep wait_step(Wait& w, const ike::Event& e);

// The error a failed wait reports, from the event's own words.
Error wait_failure(const ike::Event& e);

} // namespace ikekit::ctl
