// The kernel's NAT mapping reports for the XFRM data plane (RFC 3948, RFC 7296 2.23).
// With ESP in the kernel, UDP-encapsulated ESP that arrives from a new source address
// or port is seen only by the kernel: once the packet authenticated (ICV verified) on
// an inbound state with encapsulation, the kernel multicasts XFRM_MSG_MAPPING to the
// group XFRMNLGRP_MAPPING (struct xfrm_user_mapping: the state's id = our address, the
// SPI and ESP; its reqid; the old and the new source address and port). It changes
// nothing itself: whether the IKE SA and its Child SAs follow is the engine's decision
// (Engine::esp_arrived_from, as for the TUN data plane's ESP), as strongSwan's
// kernel-netlink process_mapping hands it to charon.
//
// XfrmMappingWatch reads without blocking from an fd the event loop polls, only what
// the kernel sent (a sender port id of 0); parse_xfrm_mappings checks every length
// against the datagram and drops and counts a message it cannot use, by reason.
#pragma once

#include "base/bytes.hpp"
#include "base/endpoint.hpp"
#include "base/ip_address.hpp"
#include "base/result.hpp"
#include "io/fd.hpp"

#include <cstdint>
#include <vector>

namespace ikekit::io {

// One XFRM_MSG_MAPPING: ESP of the inbound state (dst, spi) came from `new_source`.
struct XfrmMapping {
  IpAddress dst;    // id.daddr: our address, the state's destination
  uint32_t spi = 0; // id.spi (host order): the inbound SA's SPI
  uint32_t reqid = 0;
  Endpoint old_source; // the state's peer as installed (address, encapsulation port)
  Endpoint new_source; // where the authenticated packet came from
};

// What the reads held besides the mappings (ikectl status xfrm_mappings).
struct XfrmMappingStats {
  uint64_t received = 0;        // well-formed XFRM_MSG_MAPPING messages
  uint64_t truncated = 0;       // shorter than nlmsghdr + xfrm_user_mapping, or its
                                // length leaves the datagram (the rest is not read)
  uint64_t bad_family = 0;      // id.family neither AF_INET nor AF_INET6
  uint64_t not_esp = 0;         // id.proto not ESP (the kernel reports ESP only)
  uint64_t bad_port = 0;        // new source port 0: no UDP encapsulation to follow
  uint64_t other_type = 0;      // another message type on the group
  uint64_t not_from_kernel = 0; // a datagram another socket sent to the group
  uint64_t overflows = 0;       // ENOBUFS: the kernel dropped reports (more will come)
  uint64_t read_failed = 0;     // the socket failed: no more reports are read
  // EngineDataplane: a well-formed report for an SPI no installed Child SA has.
  uint64_t unknown_spi = 0;
};

// Parses the netlink messages in `buf` (one datagram) and appends one XfrmMapping per
// usable XFRM_MSG_MAPPING; anything else is counted in `stats` and dropped. Parsing
// stops at the first message whose length is short or leaves the buffer.
void parse_xfrm_mappings(ByteView buf, std::vector<XfrmMapping>& out, XfrmMappingStats& stats);

// One datagram as the socket received it from `sender_port_id` (sockaddr_nl.nl_pid):
// the kernel's (port id 0) is parsed as above; any other sender's (a root process may
// send to the group too) yields nothing and is counted once as not_from_kernel.
void accept_xfrm_datagram(uint32_t sender_port_id, ByteView buf, std::vector<XfrmMapping>& out,
                          XfrmMappingStats& stats);

class XfrmMappingWatch {
public:
  // A NETLINK_XFRM socket subscribed to XFRMNLGRP_MAPPING. Errc::environment when the
  // kernel refuses (no XFRM, or not permitted: the group needs CAP_NET_ADMIN).
  static Result<XfrmMappingWatch> open();

  int fd() const { return fd_.get(); }
  // Whether the socket is a member of XFRMNLGRP_MAPPING (NETLINK_LIST_MEMBERSHIPS).
  Result<bool> subscribed() const;
  // Reads every datagram waiting (non-blocking) into `out`, counting in `stats`.
  Result<void> read(std::vector<XfrmMapping>& out, XfrmMappingStats& stats);

private:
  XfrmMappingWatch() = default;
  Fd fd_;
  std::vector<uint8_t> rx_; // one receive buffer, allocated once
};

} // namespace ikekit::io
