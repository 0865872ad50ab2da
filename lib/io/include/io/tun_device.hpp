// A TUN device (/dev/net/tun, IFF_TUN | IFF_NO_PI): the user-space data plane reads
// the IP packets the kernel routes into it and writes back the ones it decrypted.
// Non-persistent: the device, its addresses and routes vanish when the fd closes.
// Configure it with RouteNetlink (MTU, addresses, up, routes) or configure().
#pragma once

#include "base/bytes.hpp"
#include "base/result.hpp"
#include "esp/tcp_segment.hpp"
#include "io/fd.hpp"
#include "io/prefix.hpp"

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace ikekit::io {

struct TunOptions {
  std::string name;         // "" lets the kernel pick tunN; at most 15 characters
  bool vnet_hdr = false;    // IFF_VNET_HDR: packets carry a virtio_net_hdr (for TSO/GSO)
  bool multi_queue = false; // IFF_MULTI_QUEUE: open again with the same name for more queues
};

// Everything to bring a TUN device into service in one call.
struct TunConfig {
  std::optional<uint32_t> mtu;
  std::vector<Prefix> addresses; // e.g. 10.9.0.1/24, fd00::1/64
  std::vector<Prefix> routes;    // routed via the device
  std::optional<uint32_t> table; // for the routes; default main
};

class TunDevice {
public:
  // Errors: no /dev/net/tun => Errc::environment ("kernel lacks CONFIG_TUN?"),
  // EPERM => Errc::environment (needs CAP_NET_ADMIN).
  static Result<TunDevice> open(const TunOptions& options);
  // (Destroying it closes the fd: the kernel deletes the device.)

  int fd() const { return fd_.get(); }
  const std::string& name() const { return name_; }
  int ifindex() const { return ifindex_; }
  bool vnet_hdr() const { return vnet_hdr_; }

  // MTU, addresses, link up, then routes (via rtnetlink).
  Result<void> configure(const TunConfig& config);
  // TUNSETOFFLOAD (TUN_F_CSUM | TUN_F_TSO4 | ...): needs vnet_hdr.
  Result<void> set_offload(unsigned flags);

  // One packet into `buf`; 0 when none is waiting (the fd is non-blocking).
  Result<size_t> read(MutBytes buf);
  // Reads until no packet is waiting or all buffers are used; sizes[i] gets the
  // length of the packet in bufs[i]. Returns the number of packets.
  Result<size_t> read_batch(std::span<const MutBytes> bufs, std::span<size_t> sizes);
  // One packet; false when the queue is full (EAGAIN).
  Result<bool> write(ByteView packet);

  // With vnet_hdr (the offloads of esp/tcp_segment.hpp and esp/tcp_coalesce.hpp): one
  // packet into `buf`, its virtio_net_hdr read into `gso`; 0 when none is waiting.
  Result<size_t> read_offload(MutBytes buf, esp::GsoInfo& gso);
  // With vnet_hdr: one packet made of `parts` (a super-packet's head and the payloads
  // after it), described by `gso`, in one writev. False when the queue is full.
  Result<bool> write_offload(const esp::GsoInfo& gso, std::span<const ByteView> parts);
  // TUNSETOFFLOAD with checksum offload and TSO for IPv4 and IPv6 (needs vnet_hdr).
  Result<void> enable_tcp_offloads();
  // Returns how many were written before the queue filled up.
  Result<size_t> write_batch(std::span<const ByteView> packets);

private:
  TunDevice() = default;
  Error io_error(std::string_view op, int err) const;

  Fd fd_;
  int ifindex_ = 0;
  bool vnet_hdr_ = false;
  std::string name_;
};

} // namespace ikekit::io
