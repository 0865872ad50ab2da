// Small text helpers for messages built from other programs' output.
#pragma once

#include <string>

namespace ikekit {

// Another program's error text (its stderr, a library's error buffer) made ready to
// end an Error message: trailing newlines, spaces and tabs dropped.
std::string trim_trailing_space(std::string text);

} // namespace ikekit
