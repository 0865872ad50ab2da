// The address prefix lives in base (traffic selectors in esp use it too); io code
// names it io::Prefix as before.
#pragma once

#include "base/prefix.hpp"

namespace ikekit::io {
using ikekit::Prefix;
} // namespace ikekit::io
