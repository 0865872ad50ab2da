// Link, address and route configuration over rtnetlink (libmnl), for the TUN data
// plane: MTU, link up, interface addresses, routes via the device. Building is pure
// (build_rt_*), sending is RouteNetlink. Addresses and routes on a TUN device go
// away with the device when its fd is closed.
#pragma once

#include "base/bytes.hpp"
#include "base/result.hpp"
#include "io/netlink_socket.hpp"
#include "io/prefix.hpp"

#include <cstdint>
#include <optional>
#include <string>

namespace ikekit::io {

struct LinkChange {
  int ifindex = 0;
  std::optional<uint32_t> mtu;
  std::optional<bool> up;
};

struct RouteSpec {
  Prefix dst;      // host bits are cleared when sent
  int ifindex = 0; // out via this device
  std::optional<IpAddress> gateway;
  std::optional<IpAddress> src;   // preferred source (RTA_PREFSRC)
  std::optional<uint32_t> table;  // default: main
  std::optional<uint32_t> metric; // RTA_PRIORITY
};

// ---- building (pure; `out` must be 4-byte aligned) ----
Result<size_t> build_rt_setlink(const LinkChange& change, uint32_t seq, MutBytes out);
// add=true: RTM_NEWADDR (create, exclusive), else RTM_DELADDR. IPv6 addresses get
// IFA_F_NODAD so they are usable at once (a TUN device has no neighbours to ask).
Result<size_t> build_rt_addr(bool add, int ifindex, const Prefix& address, uint32_t seq,
                             MutBytes out);
Result<size_t> build_rt_route(bool add, const RouteSpec& route, uint32_t seq, MutBytes out);

// ---- sending ----
class RouteNetlink {
public:
  static Result<RouteNetlink> open();

  Result<void> set_link(const LinkChange& change);
  Result<void> set_mtu(int ifindex, uint32_t mtu) { return set_link({ifindex, mtu, {}}); }
  Result<void> set_up(int ifindex, bool up = true) { return set_link({ifindex, {}, up}); }
  Result<void> add_address(int ifindex, const Prefix& address);
  Result<void> delete_address(int ifindex, const Prefix& address);
  Result<void> add_route(const RouteSpec& route);
  Result<void> delete_route(const RouteSpec& route);

private:
  explicit RouteNetlink(NetlinkSocket nl) : nl_(std::move(nl)) {}
  Result<void> send(ByteView message, std::string_view what, std::string_view field);
  NetlinkSocket nl_;
};

} // namespace ikekit::io
