// Watches the kernel's addresses, routes and links over rtnetlink (NETLINK_ROUTE
// multicast groups), for MOBIKE (RFC 4555 3.5: the initiator moves when its path
// changes). RouteWatch reads without blocking from an fd the event loop polls;
// parse_route_changes turns the kernel's messages into RouteChange values and checks
// every length against the buffer (kernel input, still bounded). route_source asks the
// kernel which local address a datagram to a peer would leave from now.
#pragma once

#include "base/bytes.hpp"
#include "base/ip_address.hpp"
#include "base/result.hpp"
#include "io/fd.hpp"

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace ikekit::io {

enum class RouteChangeKind : uint8_t {
  address_added,   // RTM_NEWADDR
  address_removed, // RTM_DELADDR
  route_added,     // RTM_NEWROUTE
  route_removed,   // RTM_DELROUTE
  link_changed,    // RTM_NEWLINK / RTM_DELLINK (up, down, gone)
};
std::string_view route_change_kind_name(RouteChangeKind k);

struct RouteChange {
  RouteChangeKind kind = RouteChangeKind::address_added;
  int ifindex = 0;
  // Addresses: IFA_LOCAL (else IFA_ADDRESS); routes: RTA_DST (absent for a default
  // route); links: none.
  std::optional<IpAddress> address;
  uint8_t prefix_len = 0;
};

// What one receive held besides the changes.
struct RouteParseStats {
  uint64_t malformed = 0; // a message or attribute whose length leaves the buffer
  uint64_t ignored = 0;   // other message types (NLMSG_DONE, NLMSG_NOOP, ...)
};

// Parses the netlink messages in `buf` (one datagram from the kernel) and appends one
// RouteChange per address, route or link message. Parsing stops at the first message
// whose length is short or leaves the buffer (counted as malformed); an attribute
// whose length is wrong ends that message's attributes (counted), the change is kept
// without it.
void parse_route_changes(ByteView buf, std::vector<RouteChange>& out, RouteParseStats& stats);

class RouteWatch {
public:
  // A NETLINK_ROUTE socket subscribed to IPv4/IPv6 address and route changes and to
  // link changes. Errc::environment when netlink is not permitted.
  static Result<RouteWatch> open();

  int fd() const { return fd_.get(); }
  // Reads every message waiting (non-blocking) into `out`. Returns true when the kernel
  // dropped notifications (ENOBUFS: the socket overflowed), so the caller must look at
  // everything again rather than only at `out`.
  Result<bool> read(std::vector<RouteChange>& out);
  const RouteParseStats& stats() const { return stats_; }

private:
  RouteWatch() = default;
  Fd fd_;
  std::vector<uint8_t> rx_; // one receive buffer, allocated once
  RouteParseStats stats_;
};

// The local address the kernel would send a datagram to `remote` from now (a connected
// UDP socket's source, RFC 6724 selection for IPv6); nullopt when no route leads there
// (unreachable, network down). Other failures are Errc::io.
Result<std::optional<IpAddress>> route_source(const IpAddress& remote);

} // namespace ikekit::io
