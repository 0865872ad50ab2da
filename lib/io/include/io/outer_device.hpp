// Keeping IKE and ESP out of our own tunnel. A route into the TUN device that covers
// the peer's outer address (transport mode: the peer's own address is the remote
// selector; tunnel mode: a remote selector as wide as 0.0.0.0/0) would catch the
// datagrams that carry IKE and ESP to the peer and feed them back into the data plane.
// strongSwan's kernel-libipsec skips such routes unless allow_peer_ts and then asks for
// a fwmark; we pin the sockets that carry IKE and ESP to the device that holds their
// local address (SO_BINDTODEVICE): their route lookup then only sees routes via that
// device, the TUN route is never theirs, and no policy routing is needed.
#pragma once

#include "base/ip_address.hpp"
#include "base/result.hpp"

#include <string>

namespace ikekit::io {

// The name of the interface that holds `local` (getifaddrs). Errc::not_found when no
// interface has it.
Result<std::string> device_holding(const IpAddress& local);

// SO_BINDTODEVICE on `fd`. Errc::environment without CAP_NET_RAW.
Result<void> bind_to_device(int fd, const std::string& device);

} // namespace ikekit::io
