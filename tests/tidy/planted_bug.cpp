// A bug clang-tidy must report (bugprone-use-after-move), for tests/tidy/gate_test.sh: the
// gate (scripts/tidy.sh) has to fail on it. Not part of any target.
#include <string>
#include <utility>

std::size_t planted_total_length(std::string name) {
  std::string kept = std::move(name);
  return kept.size() + name.size(); // the planted bug: name was moved from
}
