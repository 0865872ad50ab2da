#include "decode/packet.hpp"

#include "wire/ip.hpp"
#include "wire/tcp.hpp"
#include "wire/udp.hpp"

#include <algorithm>
#include <pcap/dlt.h>

namespace ikekit::decode {

namespace {

constexpr uint16_t kEtherIpv4 = 0x0800;
constexpr uint16_t kEtherIpv6 = 0x86dd;
constexpr uint16_t kEtherVlan = 0x8100;
constexpr uint16_t kEtherQinQ = 0x88a8;
constexpr int kLinktypeIpv4 = 228; // LINKTYPE_IPV4
constexpr int kLinktypeIpv6 = 229; // LINKTYPE_IPV6
constexpr int kLinktypeSll2 = 276; // LINKTYPE_LINUX_SLL2

using MaybePacket = Result<std::optional<Packet>>;

MaybePacket none() { return std::optional<Packet>(); }

// RFC 9293 3.1 (wire/tcp.hpp). A segment whose header is cut or whose data offset is
// wrong still carries its ports, so the decoder can tell whether it was one of a
// TCP-encapsulation connection; it is reported with the error, without payload.
MaybePacket tcp(Packet p, ByteView segment) {
  wire::TcpHeader h;
  const wire::TcpError e = wire::parse_tcp(segment, h);
  if (e == wire::TcpError::ports_truncated) return none(); // not ours to judge
  p.src_port = h.src_port;
  p.dst_port = h.dst_port;
  if (e != wire::TcpError::none) {
    p.tcp_error = wire::to_error(e, segment);
    return std::optional<Packet>(p);
  }
  p.tcp_seq = h.seq;
  p.tcp_flags = h.flags;
  p.payload = h.payload;
  return std::optional<Packet>(p);
}

MaybePacket transport(Packet p, ByteView payload) {
  if (p.ip_protocol == wire::kIpProtoTcp) return tcp(p, payload);
  if (p.ip_protocol != wire::kIpProtoUdp) {
    p.payload = payload;
    return std::optional<Packet>(p);
  }
  wire::UdpHeader h;
  if (auto e = wire::parse_udp(payload, h); e != wire::UdpError::none)
    return wire::to_error(e, payload);
  p.src_port = h.src_port;
  p.dst_port = h.dst_port;
  p.payload = h.payload;
  return std::optional<Packet>(p);
}

// The IP layer (wire/ip.hpp); a fragment waits in the reassembler until its datagram is
// whole. A datagram reassembled from IPv6 fragments may start with more extension
// headers (RFC 8200 4.5: the fragmentable part).
MaybePacket ip_packet(wire::IpError e, wire::IpHeader& h, IpReassembler& reasm) {
  if (e != wire::IpError::none) return wire::to_error(e);
  Packet p;
  p.src = h.version == 4 ? IpAddress::v4(h.src) : IpAddress::v6(h.src);
  p.dst = h.version == 4 ? IpAddress::v4(h.dst) : IpAddress::v6(h.dst);
  p.ip_protocol = h.protocol;
  if (h.fragment) {
    auto whole = reasm.add(p.src, p.dst, h.fragment_id, h.protocol, h.fragment_offset,
                           h.more_fragments, h.payload);
    if (!whole) return none();
    p.reassembled = true;
    h.payload = *whole;
    if (h.version == 6) {
      if (auto walked = wire::walk_ipv6_extensions(h, wire::Ipv6Walk::extensions);
          walked != wire::IpError::none)
        return wire::to_error(walked);
      p.ip_protocol = h.protocol;
    }
  }
  return transport(p, h.payload);
}

MaybePacket by_ethertype(uint16_t type, ByteView data, IpReassembler& reasm) {
  wire::IpHeader h;
  if (type == kEtherIpv4) return ip_packet(wire::parse_ipv4(data, h), h, reasm);
  if (type == kEtherIpv6) return ip_packet(wire::parse_ipv6(data, h), h, reasm);
  return none();
}

MaybePacket by_version(ByteView data, IpReassembler& reasm) {
  wire::IpHeader h;
  return ip_packet(wire::parse_ip(data, h), h, reasm);
}

} // namespace

namespace {

// Adds [b, e) to merged ranges; amortized O(log n): each range is erased at most once.
void add_range(std::map<uint32_t, uint32_t>& ranges, uint32_t b, uint32_t e) {
  auto it = ranges.upper_bound(b);
  if (it != ranges.begin()) {
    auto prev = std::prev(it);
    if (prev->second >= b) {
      b = prev->first;
      e = std::max(e, prev->second);
      it = ranges.erase(prev);
    }
  }
  while (it != ranges.end() && it->first <= e) {
    e = std::max(e, it->second);
    it = ranges.erase(it);
  }
  ranges.emplace(b, e);
}

} // namespace

void IpReassembler::drop(std::map<Key, Pending>::iterator it, bool over_limit) {
  Incomplete lost = incomplete(it->first, it->second);
  lost.over_limit = over_limit;
  dropped_fragments_ += lost.fragments;
  pending_bytes_ -= it->second.data.size();
  abandoned_.push_back(lost);
  pending_.erase(it);
}

// Drops the oldest datagrams until `datagrams` more entries and `bytes` more data fit.
void IpReassembler::make_room(size_t datagrams, size_t bytes) {
  while (!pending_.empty() && (pending_.size() + datagrams > kMaxDatagrams ||
                               pending_bytes_ + bytes > kMaxPendingBytes)) {
    auto oldest = std::min_element(pending_.begin(), pending_.end(), [](auto& a, auto& b) {
      return a.second.order < b.second.order;
    });
    drop(oldest, false);
  }
}

std::optional<ByteView> IpReassembler::add(const IpAddress& src, const IpAddress& dst, uint32_t id,
                                           uint8_t protocol, uint32_t offset, bool more,
                                           ByteView data) {
  constexpr uint32_t kMax = 65535;
  if (offset + data.size() > kMax) {
    ++dropped_fragments_;
    return std::nullopt;
  }
  Key key{src, dst, id, protocol};
  auto it = pending_.find(key);
  if (it == pending_.end()) {
    // The rest of a datagram dropped at the fragment limit is dropped too.
    if (std::find(over_limit_.begin(), over_limit_.end(), key) != over_limit_.end()) {
      ++dropped_fragments_;
      return std::nullopt;
    }
    make_room(1, 0);
    it = pending_.emplace(key, Pending{}).first;
    it->second.order = ++counter_;
    it->second.first_frame = frame_;
    it->second.ts_sec = ts_sec_;
    it->second.ts_usec = ts_usec_;
  }
  Pending& pd = it->second;
  ++pd.fragments;
  pd.bytes += uint32_t(data.size());
  if (pd.fragments > kMaxFragments) {
    if (over_limit_.size() == kMaxDatagrams) over_limit_.pop_front();
    over_limit_.push_back(key);
    drop(it, true);
    return std::nullopt;
  }
  uint32_t end = offset + uint32_t(data.size());
  if (pd.data.size() < end) {
    const size_t grow = end - pd.data.size();
    if (pending_bytes_ + grow > kMaxPendingBytes) {
      pd.order = ++counter_; // keep this one: make room among the others
      make_room(0, grow);
      it = pending_.find(key);
      if (it == pending_.end()) return std::nullopt;
    }
    it->second.data.resize(end);
    pending_bytes_ += grow;
  }
  Pending& p = it->second;
  std::copy(data.begin(), data.end(), p.data.begin() + offset);
  add_range(p.covered, offset, end);
  if (!more) p.total = end;
  // Whole when one range covers [0, total).
  if (p.total == 0 || p.covered.size() != 1 || p.covered.begin()->first != 0 ||
      p.covered.begin()->second < p.total)
    return std::nullopt;
  done_.assign(p.data.begin(), p.data.begin() + p.total);
  pending_bytes_ -= p.data.size();
  pending_.erase(it);
  return ByteView(done_);
}

IpReassembler::Incomplete IpReassembler::incomplete(const Key& key, const Pending& pd) {
  Incomplete i{std::get<0>(key), std::get<1>(key), std::get<2>(key), std::get<3>(key), pd.fragments,
               pd.bytes,         pd.first_frame,   pd.ts_sec,        pd.ts_usec};
  return i;
}

std::vector<IpReassembler::Incomplete> IpReassembler::take_abandoned() {
  std::vector<Incomplete> out;
  out.swap(abandoned_);
  return out;
}

std::vector<IpReassembler::Incomplete> IpReassembler::pending() const {
  std::vector<std::pair<uint64_t, Incomplete>> v;
  for (const auto& [key, pd] : pending_)
    v.emplace_back(pd.order, incomplete(key, pd));
  std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<Incomplete> out;
  out.reserve(v.size());
  for (const auto& [order, i] : v)
    out.push_back(i);
  return out;
}

std::string IpReassembler::Incomplete::describe() const {
  return std::string(src.is_v4() ? "IPv4" : "IPv6") + " datagram " + src.to_string() + " -> " +
         dst.to_string() + " id " + std::to_string(id) + " protocol " + std::to_string(protocol) +
         ": " + std::to_string(fragments) + " fragment(s), " + std::to_string(bytes) +
         (over_limit ? " bytes received, dropped at the limit of " +
                           std::to_string(IpReassembler::kMaxFragments) + " fragments per datagram"
                     : " bytes received, never completed");
}

Result<std::optional<Packet>> dissect_frame(int linktype, ByteView frame, IpReassembler& reasm) {
  switch (linktype) {
  case DLT_EN10MB: {
    if (frame.size() < 14) return make_error(Errc::truncated, "ethernet", "header needs 14 bytes");
    size_t off = 12;
    uint16_t type = load_be16(&frame[off]);
    while ((type == kEtherVlan || type == kEtherQinQ) && frame.size() >= off + 6) {
      off += 4;
      type = load_be16(&frame[off]);
    }
    return by_ethertype(type, frame.subspan(off + 2), reasm);
  }
  case DLT_LINUX_SLL: // 16-byte header, protocol at 14
    if (frame.size() < 16) return make_error(Errc::truncated, "sll", "header needs 16 bytes");
    return by_ethertype(load_be16(&frame[14]), frame.subspan(16), reasm);
  case kLinktypeSll2: // 20-byte header, protocol at 0
    if (frame.size() < 20) return make_error(Errc::truncated, "sll2", "header needs 20 bytes");
    return by_ethertype(load_be16(&frame[0]), frame.subspan(20), reasm);
  case DLT_NULL:
  case DLT_LOOP: // 4-byte address family, host or network order; the IP version says enough
    if (frame.size() < 4) return make_error(Errc::truncated, "loopback", "header needs 4 bytes");
    return by_version(frame.subspan(4), reasm);
  case DLT_RAW:
  case 14: // DLT_RAW on OpenBSD
  case kLinktypeIpv4:
  case kLinktypeIpv6:
    return by_version(frame, reasm);
  default:
    return make_error(Errc::unsupported, "linktype",
                      "link type " + std::to_string(linktype) +
                          " is not supported (Ethernet, Linux cooked, raw IP and loopback are)");
  }
}

} // namespace ikekit::decode
