#include "esp/selector.hpp"

#include "wire/ip.hpp"

#include <algorithm>
#include <array>
#include <cstring>

namespace ikekit::esp {

namespace {

bool is_icmp(uint8_t protocol, bool v6) {
  return protocol == (v6 ? wire::kIpProtoIcmpv6 : wire::kIpProtoIcmp);
}

// Protocols whose header starts with a source and a destination port.
bool has_ports(uint8_t protocol) {
  return protocol == 6 || protocol == 17 || protocol == 33 || protocol == 132 || protocol == 136;
}

bool in_range(uint16_t v, const TrafficSelector& t) { return t.port_start <= v && v <= t.port_end; }

// RFC 4301 4.4.1: ANY matches a value or an OPAQUE field; OPAQUE only the latter.
bool accepts_opaque(const TrafficSelector& t) { return t.any_port() || t.opaque_port(); }

struct Range {
  uint16_t lo = 1, hi = 0; // empty when lo > hi
  bool empty() const { return lo > hi; }
};
Range range_of(const TrafficSelector& t) { return {t.port_start, t.port_end}; }
Range intersect(Range a, Range b) { return {std::max(a.lo, b.lo), std::min(a.hi, b.hi)}; }

// Fills in the ports of an upper-layer header at `l4`: TCP/UDP-like ports, or ICMP
// Type * 256 + Code; nothing (OPAQUE) for other protocols or a short header.
void read_ports(ByteView l4, PacketSelector& out) {
  if (has_ports(out.protocol) && l4.size() >= 4) {
    out.src_port = load_be16(l4.data());
    out.dst_port = load_be16(l4.data() + 2);
    out.ports_known = true;
  } else if (is_icmp(out.protocol, out.src.v6) && l4.size() >= 2) {
    out.src_port = out.dst_port = load_be16(l4.data()); // Type, Code
    out.ports_known = true;
  }
}

bool addresses_match(const SelectorPair& pair, const AddressBits& local,
                     const AddressBits& remote) {
  return pair.local_bits.contains(local) && pair.remote_bits.contains(remote);
}

bool protocol_matches(const SelectorPair& pair, uint8_t protocol) {
  return pair.protocol == 0 || pair.protocol == protocol;
}

bool ports_match(const SelectorPair& pair, const PacketSelector& p, uint16_t local_port,
                 uint16_t remote_port) {
  if (!p.ports_known) return accepts_opaque(pair.local) && accepts_opaque(pair.remote);
  return in_range(local_port, pair.local) && in_range(remote_port, pair.remote);
}

// Shared by range_to_prefixes and port_range_blocks: [a, b] as aligned power-of-two
// blocks over `bits`-bit big-endian numbers held in 16-byte arrays. emit(start, len)
// gets each block's first value and prefix length.
using Num = std::array<uint8_t, 16>;

bool bit(const Num& n, size_t i) { return (n[i / 8] >> (7 - i % 8)) & 1; }
void set_low(Num& n, size_t bits, size_t k) { // n | (2^k - 1)
  for (size_t i = bits - k; i < bits; ++i)
    n[i / 8] = uint8_t(n[i / 8] | (0x80 >> (i % 8)));
}
bool increment(Num& n, size_t bits) { // false on overflow
  for (size_t i = bits / 8; i-- > 0;)
    if (++n[i] != 0) return true;
  return false;
}
int compare(const Num& a, const Num& b, size_t bits) {
  return std::memcmp(a.data(), b.data(), bits / 8);
}

template <typename Emit> void split_range(Num a, const Num& b, size_t bits, Emit emit) {
  while (compare(a, b, bits) <= 0) {
    size_t k = 0; // trailing zero bits of a: the largest block aligned at a
    while (k < bits && !bit(a, bits - 1 - k))
      ++k;
    Num last = a;
    set_low(last, bits, k);
    while (compare(last, b, bits) > 0) { // shrink until the block ends within [a, b]
      --k;
      last = a;
      set_low(last, bits, k);
    }
    emit(a, bits - k);
    a = last;
    if (!increment(a, bits)) return; // the block ended at the top of the space
  }
}

} // namespace

IpAddress AddressBits::address() const {
  uint8_t b[16];
  store_be64(b, hi);
  store_be64(b + 8, lo);
  return v6 ? IpAddress::v6(ByteView(b, 16)) : IpAddress::v4(ByteView(b, 4));
}

PrefixBits PrefixBits::of(const Prefix& p) {
  PrefixBits b;
  b.value = masked(AddressBits::of(p.addr), p.len);
  b.mask_hi = top_bits(p.len);
  b.mask_lo = top_bits(p.len - 64);
  return b;
}

std::string TrafficSelector::to_string() const {
  std::string s = addr.to_string();
  if (protocol == 0 && any_port()) return s;
  s += "[" + std::to_string(protocol);
  if (!any_port()) {
    s += "/" + std::to_string(port_start);
    if (port_end != port_start) s += "-" + std::to_string(port_end);
  }
  return s + "]";
}

std::string to_string(const SaSelectors& s) {
  std::string out;
  for (const auto* side : {&s.local, &s.remote}) {
    if (side == &s.remote) out += " ===";
    for (const TrafficSelector& t : *side)
      out += (out.empty() ? "" : " ") + t.to_string();
  }
  return out;
}

std::vector<SelectorPair> selector_pairs(const SaSelectors& s) {
  std::vector<SelectorPair> out;
  for (const TrafficSelector& l : s.local)
    for (const TrafficSelector& r : s.remote) {
      if (l.addr.addr.family() != r.addr.addr.family()) continue;
      if (l.protocol && r.protocol && l.protocol != r.protocol) continue;
      out.push_back(SelectorPair{l, r, l.protocol ? l.protocol : r.protocol, PrefixBits::of(l.addr),
                                 PrefixBits::of(r.addr)});
    }
  return out;
}

bool pairs_overlap(const SelectorPair& a, const SelectorPair& b) {
  if (!a.local.addr.overlaps(b.local.addr) || !a.remote.addr.overlaps(b.remote.addr)) return false;
  if (a.protocol && b.protocol && a.protocol != b.protocol) return false;
  // A packet with OPAQUE ports (e.g. a non-initial fragment) matches both.
  if (accepts_opaque(a.local) && accepts_opaque(a.remote) && accepts_opaque(b.local) &&
      accepts_opaque(b.remote))
    return true;
  uint8_t protocol = a.protocol ? a.protocol : b.protocol;
  if (is_icmp(protocol, !a.local.addr.addr.is_v4())) { // one value in all four ranges
    Range r = intersect(intersect(range_of(a.local), range_of(a.remote)),
                        intersect(range_of(b.local), range_of(b.remote)));
    return !r.empty();
  }
  return !intersect(range_of(a.local), range_of(b.local)).empty() &&
         !intersect(range_of(a.remote), range_of(b.remote)).empty();
}

bool read_packet_selector(ByteView packet, PacketSelector& out) {
  out = PacketSelector{};
  // RFC 4301 4.4.1.1: in IPv6 the Next Layer Protocol lies behind the extension headers.
  wire::IpHeader ip;
  if (wire::parse_ip(packet, ip, wire::Ipv6Walk::extensions_and_ah) != wire::IpError::none)
    return false;
  const bool v6 = ip.version == 6;
  out.src = AddressBits::read(ip.src.data(), v6);
  out.dst = AddressBits::read(ip.dst.data(), v6);
  // A first IPv6 fragment (offset 0) still holds the upper-layer header behind its
  // Fragment header (RFC 8200 4.5).
  if (v6 && ip.fragment && ip.fragment_offset == 0 &&
      wire::walk_ipv6_extensions(ip, wire::Ipv6Walk::extensions_and_ah) != wire::IpError::none)
    return false;
  out.protocol = ip.protocol;
  // RFC 4301 7: a non-initial fragment has no ports.
  out.fragment = ip.fragment_offset != 0;
  if (!out.fragment) read_ports(ip.payload, out);
  return true;
}

bool pair_matches_outbound(const SelectorPair& pair, const PacketSelector& p) {
  return addresses_match(pair, p.src, p.dst) && protocol_matches(pair, p.protocol) &&
         ports_match(pair, p, p.src_port, p.dst_port);
}

SelectorVerdict check_inbound(std::span<const SelectorPair> pairs, const PacketSelector& p) {
  SelectorVerdict best = SelectorVerdict::src_outside;
  for (const SelectorPair& pair : pairs) {
    SelectorVerdict v = SelectorVerdict::src_outside;
    if (pair.remote_bits.contains(p.src)) {
      v = SelectorVerdict::dst_outside;
      if (pair.local_bits.contains(p.dst)) {
        v = SelectorVerdict::protocol_outside;
        if (protocol_matches(pair, p.protocol)) {
          v = SelectorVerdict::port_outside;
          if (ports_match(pair, p, p.dst_port, p.src_port)) return SelectorVerdict::match;
        }
      }
    }
    best = std::max(best, v);
  }
  return best;
}

std::vector<Prefix> range_to_prefixes(const IpAddress& start, const IpAddress& end) {
  std::vector<Prefix> out;
  if (start.family() != end.family()) return out;
  size_t bits = start.is_v4() ? 32 : 128;
  Num a{}, b{};
  std::copy_n(start.bytes().begin(), bits / 8, a.begin());
  std::copy_n(end.bytes().begin(), bits / 8, b.begin());
  split_range(a, b, bits, [&](const Num& n, size_t len) {
    ByteView v(n.data(), bits / 8);
    out.push_back(Prefix{start.is_v4() ? IpAddress::v4(v) : IpAddress::v6(v), uint8_t(len)});
  });
  return out;
}

std::vector<PortBlock> port_range_blocks(uint16_t start, uint16_t end) {
  std::vector<PortBlock> out;
  Num a{}, b{};
  store_be16(a.data(), start);
  store_be16(b.data(), end);
  split_range(a, b, 16, [&](const Num& n, size_t len) {
    out.push_back(PortBlock{load_be16(n.data()), uint16_t(len ? 0xffff << (16 - len) : 0)});
  });
  return out;
}

} // namespace ikekit::esp
