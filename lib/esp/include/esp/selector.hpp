// Traffic selectors as a data plane enforces them (RFC 4301 4.4.1.1, RFC 7296 3.13.1),
// sans-I/O: the selectors of a Child SA, the selector values of one IP packet, and
// whether the two match. The outbound SA lookup over many SAs is SelectorTable
// (selector_table.hpp); the inbound check of a decrypted packet against its own SA
// (RFC 4301 5.2 step 4) is check_inbound() here. Nothing here allocates per packet.
//
// Ports: TCP, UDP, SCTP, DCCP and UDP-Lite carry them. For ICMP (IPv4) and ICMPv6 the
// 16-bit "port" is Type * 256 + Code (RFC 7296 3.13.1, RFC 4301 4.4.1.1); it must lie
// in the port ranges of both sides' selectors. Other protocols, non-initial fragments
// (RFC 4301 7: they carry no ports) and transport headers cut short have OPAQUE ports,
// which only a selector with ANY ports (0-65535) or OPAQUE ports (65535-0) matches.
#pragma once

#include "base/bytes.hpp"
#include "base/ip_address.hpp"
#include "base/prefix.hpp"

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace ikekit::esp {

inline constexpr uint16_t kIcmpAnyCode = 0xff;

// One side of a Child SA's selectors: an address prefix (a range that is no prefix
// becomes several, range_to_prefixes), an upper-layer protocol (0: any) and a port
// range (ICMP: Type * 256 + Code). port_start > port_end is OPAQUE (RFC 7296 3.13.1:
// 65535-0).
struct TrafficSelector {
  Prefix addr;
  uint8_t protocol = 0;
  uint16_t port_start = 0;
  uint16_t port_end = 65535;

  bool any_port() const { return port_start == 0 && port_end == 65535; }
  bool opaque_port() const { return port_start > port_end; }
  // "10.1.0.0/16", "10.1.0.0/16[6]", "10.1.0.0/16[6/80-90]" (strongSwan's notation).
  std::string to_string() const;
  friend bool operator==(const TrafficSelector&, const TrafficSelector&) = default;
};

// A Child SA's selectors (RFC 4301 4.4.2): traffic local -> remote goes out on it,
// traffic remote -> local comes in on it.
struct SaSelectors {
  std::vector<TrafficSelector> local;
  std::vector<TrafficSelector> remote;
  friend bool operator==(const SaSelectors&, const SaSelectors&) = default;
};

// An address as 128 bits in two big-endian halves, IPv4 in the top 32 bits of `hi`:
// the packet path's form, where a prefix test is two masked compares.
struct AddressBits {
  uint64_t hi = 0;
  uint64_t lo = 0;
  bool v6 = false;

  // From 4 (IPv4) or 16 (IPv6) bytes in network order. Inline: it is on the packet
  // path, and a call returns the struct through memory.
  static AddressBits read(const uint8_t* b, bool v6) {
    if (v6) return AddressBits{load_be64(b), load_be64(b + 8), true};
    return AddressBits{uint64_t(load_be32(b)) << 32, 0, false};
  }
  static AddressBits of(const IpAddress& a) { return read(a.bytes().data(), !a.is_v4()); }
  IpAddress address() const;
  friend bool operator==(const AddressBits&, const AddressBits&) = default;
};

// A prefix as the value and mask of its first `len` bits.
struct PrefixBits {
  AddressBits value; // host bits cleared
  uint64_t mask_hi = 0;
  uint64_t mask_lo = 0;

  static PrefixBits of(const Prefix& p);
  // The first `len` bits of a 64-bit half (len may be <= 0 or >= 64).
  static uint64_t top_bits(int len) {
    return len <= 0 ? 0 : len >= 64 ? ~uint64_t(0) : ~uint64_t(0) << (64 - len);
  }
  // The same prefix length applied to `a` (what a longest-prefix match looks up).
  static AddressBits masked(const AddressBits& a, uint8_t len) {
    return AddressBits{a.hi & top_bits(len), a.lo & top_bits(len - 64), a.v6};
  }
  bool contains(const AddressBits& a) const {
    return a.v6 == value.v6 && (a.hi & mask_hi) == value.hi && (a.lo & mask_lo) == value.lo;
  }
};

// One local x remote combination the SA covers: same address family, and the
// protocol both allow (0: any). Built by selector_pairs(), which also fills the
// prefixes' bit form.
struct SelectorPair {
  TrafficSelector local;
  TrafficSelector remote;
  uint8_t protocol = 0;
  PrefixBits local_bits;
  PrefixBits remote_bits;
};

// "10.1.0.0/24 10.1.1.0/24 === 10.2.0.0/16[6/80]" (strongSwan's notation).
std::string to_string(const SaSelectors& s);

// The pairs of `s` (the cross product, without pairs of different families or of
// two different protocols, which no packet can match).
std::vector<SelectorPair> selector_pairs(const SaSelectors& s);

// Whether some packet could match both pairs (addresses, protocol and ports all
// intersect): what SelectorTable refuses between SAs of different IKE SAs.
bool pairs_overlap(const SelectorPair& a, const SelectorPair& b);

// The selector values of one IP packet (RFC 4301 4.4.1.1). With IPv6, extension
// headers (hop-by-hop, routing, fragment, destination options, AH) are skipped to
// find the upper-layer protocol; in a non-initial IPv6 fragment `protocol` is the
// fragment header's Next Header.
struct PacketSelector {
  AddressBits src;
  AddressBits dst;
  uint8_t protocol = 0;
  bool ports_known = false; // false: OPAQUE ports (see above)
  uint16_t src_port = 0;    // ICMP: both Type * 256 + Code
  uint16_t dst_port = 0;
  bool fragment = false; // a non-initial fragment (RFC 4301 7)
};

// Reads the selector values of an IPv4 or IPv6 packet. False when it is neither, or
// its IP header (or an IPv6 extension header chain) is cut short.
bool read_packet_selector(ByteView packet, PacketSelector& out);

// How far a packet got through an SA's selectors, in the order they are checked;
// `match` when one pair covers it. The reasons are the data plane's drop counters.
enum class SelectorVerdict : uint8_t {
  src_outside,      // source address outside every pair
  dst_outside,      // destination address outside every pair whose source matched
  protocol_outside, // no pair matching both addresses allows the protocol
  port_outside,     // ... nor the ports (or ICMP type/code; OPAQUE ports need ANY)
  match,
};

// Outbound: the packet leaves local -> remote (src in local, dst in remote).
bool pair_matches_outbound(const SelectorPair& pair, const PacketSelector& p);
// RFC 4301 5.2 step 4: a packet decrypted with an SA must match that SA's selectors
// remote -> local (src in remote, dst in local); the furthest verdict over the pairs.
SelectorVerdict check_inbound(std::span<const SelectorPair> pairs, const PacketSelector& p);

// Splits the inclusive address range [start, end] into the fewest prefixes that
// cover exactly it (RFC 7296 3.13.1 ranges; routes and SPD entries take prefixes).
// Empty when the families differ or start > end.
std::vector<Prefix> range_to_prefixes(const IpAddress& start, const IpAddress& end);

// A port range as value/mask blocks (what a kernel XFRM selector takes): every port
// p in [start, end] has (p & mask) == value for exactly one block. Empty when
// start > end.
struct PortBlock {
  uint16_t value = 0;
  uint16_t mask = 0;
  friend bool operator==(const PortBlock&, const PortBlock&) = default;
};
std::vector<PortBlock> port_range_blocks(uint16_t start, uint16_t end);

} // namespace ikekit::esp
