// Scalars as every JSON document of lib/json writes them (ikekit-json(7)): an empty
// algorithm keyword is null, durations are seconds (a double), an unset one is null.
#pragma once

#include "base/time.hpp"

#include "json/output.hpp"
#include <chrono>
#include <string>

namespace ikekit::json {

inline Json keyword(const std::string& k) { return k.empty() ? Json() : Json(k); }

inline double seconds(Duration d) { return std::chrono::duration<double>(d).count(); }

inline Json seconds_or_null(Duration d) { return d.count() ? Json(seconds(d)) : Json(); }

} // namespace ikekit::json
