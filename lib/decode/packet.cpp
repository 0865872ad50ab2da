#include "decode/packet.hpp"

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

// RFC 9293 3.1: ports, sequence number, data offset (header length in 32-bit words), flags.
MaybePacket tcp(Packet p, ByteView segment) {
  if (segment.size() < 4) return none(); // not even the ports: not ours to judge
  p.src_port = load_be16(&segment[0]);
  p.dst_port = load_be16(&segment[2]);
  if (segment.size() < 20) {
    p.tcp_error = make_error(Errc::truncated, "tcp", "header needs 20 bytes");
    return std::optional<Packet>(p);
  }
  const size_t header = size_t(segment[12] >> 4) * 4;
  if (header < 20 || header > segment.size()) {
    p.tcp_error = make_error(Errc::bad_length, "tcp.data_offset",
                             std::to_string(header) + "-byte header does not fit the " +
                                 std::to_string(segment.size()) + "-byte segment (at least 20)");
    return std::optional<Packet>(p);
  }
  p.tcp_seq = load_be32(&segment[4]);
  p.tcp_flags = segment[13];
  p.payload = segment.subspan(header);
  return std::optional<Packet>(p);
}

MaybePacket transport(Packet p, ByteView payload) {
  if (p.ip_protocol == kIpProtoTcp) return tcp(p, payload);
  if (p.ip_protocol == kIpProtoUdp) {
    Reader r(payload);
    auto sport = r.u16("udp.src_port");
    if (!sport) return sport.error();
    auto dport = r.u16("udp.dst_port");
    if (!dport) return dport.error();
    auto len = r.u16("udp.length");
    if (!len) return len.error();
    if (!r.u16("udp.checksum"))
      return make_error(Errc::truncated, "udp.checksum", "UDP header cut");
    if (*len < 8 || *len > payload.size())
      return make_error(Errc::bad_length, "udp.length",
                        std::to_string(*len) + " does not fit the " +
                            std::to_string(payload.size()) + "-byte IP payload");
    p.src_port = *sport;
    p.dst_port = *dport;
    p.payload = payload.subspan(8, *len - 8);
  } else {
    p.payload = payload;
  }
  return std::optional<Packet>(p);
}

MaybePacket ipv4(ByteView data, IpReassembler& reasm) {
  if (data.size() < 20) return make_error(Errc::truncated, "ipv4", "header needs 20 bytes");
  if ((data[0] >> 4) != 4) return make_error(Errc::bad_value, "ipv4.version", "not 4");
  size_t ihl = size_t(data[0] & 15) * 4;
  uint16_t total = load_be16(&data[2]);
  if (ihl < 20 || ihl > data.size())
    return make_error(Errc::bad_length, "ipv4.ihl", "bad header length");
  // A capture may carry Ethernet padding after the datagram, or less than it (snaplen).
  if (total < ihl)
    return make_error(Errc::bad_length, "ipv4.total_length", "shorter than the header");
  ByteView payload = data.subspan(ihl, std::min<size_t>(total, data.size()) - ihl);
  Packet p;
  p.src = IpAddress::v4(data.subspan(12, 4));
  p.dst = IpAddress::v4(data.subspan(16, 4));
  p.ip_protocol = data[9];
  uint16_t frag = load_be16(&data[6]);
  bool more = frag & 0x2000;
  uint32_t offset = uint32_t(frag & 0x1fff) * 8;
  if (more || offset) {
    auto whole = reasm.add(p.src, p.dst, load_be16(&data[4]), p.ip_protocol, offset, more, payload);
    if (!whole) return none();
    p.reassembled = true;
    payload = *whole;
  }
  return transport(p, payload);
}

MaybePacket ipv6(ByteView data, IpReassembler& reasm) {
  if (data.size() < 40) return make_error(Errc::truncated, "ipv6", "header needs 40 bytes");
  if ((data[0] >> 4) != 6) return make_error(Errc::bad_value, "ipv6.version", "not 6");
  Packet p;
  p.src = IpAddress::v6(data.subspan(8, 16));
  p.dst = IpAddress::v6(data.subspan(24, 16));
  size_t plen = std::min<size_t>(load_be16(&data[4]), data.size() - 40);
  ByteView rest = data.subspan(40, plen);
  uint8_t next = data[6];
  std::optional<std::tuple<uint32_t, uint32_t, bool>> fragment; // id, offset, more
  // RFC 8200 4: walk hop-by-hop, routing, destination options and fragment headers.
  for (int guard = 0; guard < 8; ++guard) {
    if (next == 0 || next == 43 || next == 60) {
      if (rest.size() < 8) return make_error(Errc::truncated, "ipv6.extension", "header cut");
      size_t len = (size_t(rest[1]) + 1) * 8;
      if (len > rest.size())
        return make_error(Errc::bad_length, "ipv6.extension.length", "too long");
      next = rest[0];
      rest = rest.subspan(len);
    } else if (next == 44) {
      if (rest.size() < 8) return make_error(Errc::truncated, "ipv6.fragment", "header cut");
      uint16_t off = load_be16(&rest[2]);
      fragment = std::make_tuple(load_be32(&rest[4]), uint32_t(off & 0xfff8), bool(off & 1));
      next = rest[0];
      rest = rest.subspan(8);
    } else {
      break;
    }
  }
  p.ip_protocol = next;
  if (fragment) {
    auto [id, offset, more] = *fragment;
    auto whole = reasm.add(p.src, p.dst, id, next, offset, more, rest);
    if (!whole) return none();
    p.reassembled = true;
    rest = *whole;
  }
  return transport(p, rest);
}

MaybePacket by_ethertype(uint16_t type, ByteView data, IpReassembler& reasm) {
  if (type == kEtherIpv4) return ipv4(data, reasm);
  if (type == kEtherIpv6) return ipv6(data, reasm);
  return none();
}

MaybePacket by_version(ByteView data, IpReassembler& reasm) {
  if (data.empty()) return make_error(Errc::truncated, "ip", "empty packet");
  if ((data[0] >> 4) == 4) return ipv4(data, reasm);
  if ((data[0] >> 4) == 6) return ipv6(data, reasm);
  return make_error(Errc::bad_value, "ip.version", "neither 4 nor 6");
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
