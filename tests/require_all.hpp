// Catch2 v2 has no skip that ctest sees. A test that cannot run here (not root, a
// kernel feature missing) says why with SKIP_OR_FAIL: a visible warning on a developer's
// machine, a failure where every test must run (CI sets IKEKIT_REQUIRE_ALL=1, see
// scripts/test.sh), so a skip never passes silently there.
#pragma once

#include <catch2/catch.hpp>
#include <cstdlib>
#include <string_view>

namespace ikekit::test {

inline bool every_test_must_run() {
  const char* v = std::getenv("IKEKIT_REQUIRE_ALL");
  return v && std::string_view(v) == "1";
}

} // namespace ikekit::test

// Ends the test case (returns from it) unless it failed.
#define SKIP_OR_FAIL(reason)                                                                       \
  do {                                                                                             \
    if (::ikekit::test::every_test_must_run()) FAIL("cannot run (IKEKIT_REQUIRE_ALL): " reason);   \
    WARN("SKIP: " reason);                                                                         \
    return;                                                                                        \
  } while (0)
