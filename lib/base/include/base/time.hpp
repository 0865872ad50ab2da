// Time as engines see it: a value handed in by the caller, never read from a clock.
#pragma once

#include <chrono>

namespace ikekit {

using Duration = std::chrono::nanoseconds;
using TimePoint = std::chrono::time_point<std::chrono::steady_clock, Duration>;

} // namespace ikekit
