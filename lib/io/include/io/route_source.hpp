// The local address an initiator sends from when none is given (ike-up --local left
// out): the source the kernel's routing table picks for the peer, as strongSwan's
// charon does for %any. A UDP socket connected to the peer (no packet is sent) is given
// that source by the route lookup; getsockname reads it.
#pragma once

#include "base/ip_address.hpp"
#include "base/result.hpp"

namespace ikekit::io {

// Errc::environment, field "local", when there is no route to `remote`.
Result<IpAddress> route_source(const IpAddress& remote);

} // namespace ikekit::io
