// The Child SA description lives in the sans-I/O layer (esp/child_sa.hpp); the data
// plane's names for it.
#pragma once

#include "esp/child_sa.hpp"

namespace ikekit::io::dataplane {

using esp::ChildSaSpec;
using esp::esp_mode_name;
using esp::EspMode;
using esp::sa_params;
using esp::SaKeys;
using esp::SeqReservation;
using esp::validate_child_sa;

} // namespace ikekit::io::dataplane
