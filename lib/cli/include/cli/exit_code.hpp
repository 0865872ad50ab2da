// Exit codes shared by every tool and every man page (DESIGN 4).
#pragma once

#include "base/result.hpp"

namespace ikekit::cli {

enum ExitCode : int {
  kExitOk = 0,          // success
  kExitFailure = 1,     // runtime failure: peer rejected, timeout, unreadable capture
  kExitUsage = 2,       // usage or config error
  kExitEnvironment = 3, // not root, no TUN, kernel lacks ESP
  kExitPartial = 4,     // finished, but some input could not be handled (e.g. undecryptable)
};

// The exit code an error maps to when it ends a tool.
ExitCode exit_code_for(const Error& e);

} // namespace ikekit::cli
