// Data plane counters: what each direction delivered and what it dropped, by reason
// (DESIGN 3: a dropped input is a counter). The ESP layer's SealStats / OpenStats are
// summed over every SA a direction has used (current and retired after a rekey),
// plus the drops that happen around the SA (no SA for a packet, a full queue). The
// pipelines (esp/outbound_pipeline.hpp, esp/inbound_pipeline.hpp) count them; the
// I/O layer adds what its devices and sockets refused and publishes them.
#pragma once

#include "esp/sa.hpp"

#include <cstdint>

namespace ikekit::esp {

// local -> network: the SAs' SealStats (packets: ESP packets sent; bytes: inner bytes
// sealed), plus what happened around them.
struct OutStats : SealStats {
  uint64_t wire_bytes = 0;     // ESP bytes handed to the socket
  uint64_t no_sa = 0;          // no outbound SA's selectors take the packet (RFC 4301 5.1)
  uint64_t not_ip = 0;         // not an IPv4/IPv6 packet, or its IP header is cut short
  uint64_t send_dropped = 0;   // the socket refused the packet (buffer full, error)
  uint64_t seq_unreserved = 0; // held back: its sequence number is not yet reserved on
                               // disk (SeqReservation, esp-tunnel's state file)
};

// network -> local: the SAs' OpenStats (packets, bytes: inner packets and bytes
// delivered), plus what happened around them.
struct InStats : OpenStats {
  uint64_t not_esp = 0;         // IKE or keepalive on the ESP socket (not ours to handle)
  uint64_t bad_inner = 0;       // opened, but the payload is not an IP packet for this mode
  uint64_t deliver_dropped = 0; // the TUN queue refused the packet
  // Opened, but outside the SA's traffic selectors (RFC 4301 5.2): by the first
  // selector no pair of the SA matched (source, destination, protocol, ports).
  uint64_t selector_src = 0;
  uint64_t selector_dst = 0;
  uint64_t selector_protocol = 0;
  uint64_t selector_port = 0;
};

struct DataplaneStats {
  OutStats out;
  InStats in;
  // Child SAs refused because their selectors overlap those of another IKE SA's
  // Child SA (one peer never takes another peer's traffic).
  uint64_t sa_refused = 0;
};

// One Child SA's traffic (ikectl list-sas): what its inbound SA opened and its
// outbound SA sealed (inner bytes, as OutStats/InStats count them), and when either
// last moved a packet. Frozen once the SA is retired (rekey) until it is removed.
struct ChildSaCounters {
  uint64_t bytes_in = 0, packets_in = 0;
  uint64_t bytes_out = 0, packets_out = 0;
  int64_t last_used_ns = 0; // wall clock, ns since the Unix epoch; 0: never used (or unknown)
};

// Adds the drops counted around the SAs after opening (`local`: not_esp, bad_inner,
// deliver_dropped, selector_*) and takes the packets the SAs opened but that were
// not delivered (all of those but not_esp) off `to.packets`.
void add_delivery_drops(InStats& to, const InStats& local);

} // namespace ikekit::esp
