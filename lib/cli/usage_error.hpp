// The usage error of an option's value (DESIGN: the field named, the value echoed):
// `--flag: "value": expected ...`. Private to lib/cli.
#pragma once

#include "base/result.hpp"

#include <string>

namespace ikekit::cli {

inline Error bad(std::string field, const std::string& value, const std::string& expected) {
  return make_error(Errc::usage, std::move(field), "\"" + value + "\": " + expected);
}

} // namespace ikekit::cli
