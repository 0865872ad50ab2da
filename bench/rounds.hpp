// The rounds of a bench that compares peers (tunnel, roam): each round measures every
// peer once, forward in even rounds and backward in odd ones, so that no peer always
// runs first on a machine that warms up or slows down as the run goes on.
#pragma once

#include "bench/process.hpp"

#include <cstddef>
#include <utility>
#include <vector>

namespace ikekit::bench {

// `measure(result, round)` returns the round's measurement, appended to result.rounds,
// or an Error, kept in result.error: that peer is measured no more. A stop signal ends
// each peer not yet failed with interrupted_error().
template <class PeerResult, class Measure>
void run_alternating_rounds(std::vector<PeerResult>& results, int rounds, Measure&& measure) {
  for (int round = 0; round < rounds; ++round) {
    for (size_t k = 0; k < results.size(); ++k) {
      PeerResult& r = results[round % 2 == 0 ? k : results.size() - 1 - k];
      if (r.error) continue;
      if (stop_requested()) {
        r.error = interrupted_error();
        continue;
      }
      auto m = measure(r, round);
      if (m)
        r.rounds.push_back(std::move(*m));
      else
        r.error = m.error();
    }
  }
}

} // namespace ikekit::bench
