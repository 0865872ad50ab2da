#include "esp/tcp_coalesce.hpp"

#include "wire/inet_checksum.hpp"
#include "wire/ip.hpp"
#include "wire/tcp.hpp"

#include <cstring>

namespace ikekit::esp {

namespace {

constexpr size_t kMaxTotal = 65535;
constexpr uint8_t kMergeableFlags = wire::kTcpAck | wire::kTcpPsh;
constexpr size_t kFlowScan = 16; // groups looked back through for a packet's flow

const uint8_t* tcp_of(ByteView p, const TcpHeaders& h) { return p.data() + h.ip_len; }
size_t payload_len(ByteView p, const TcpHeaders& h) { return p.size() - h.headers(); }

// The IP fields that must agree (addresses included) before the TCP header: IPv4 TOS,
// DF, TTL, protocol and addresses; IPv6 version/traffic class/flow label, next header,
// hop limit and addresses.
bool same_ip_fields(ByteView a, ByteView b, bool v6) {
  if (v6)
    return std::memcmp(a.data(), b.data(), 4) == 0 &&
           std::memcmp(a.data() + 6, b.data() + 6, 34) == 0;
  return a[1] == b[1] && (a[6] & 0x40) == (b[6] & 0x40) && a[8] == b[8] && a[9] == b[9] &&
         std::memcmp(a.data() + 12, b.data() + 12, 8) == 0;
}

} // namespace

bool tcp_checksum_valid(ByteView p, const TcpHeaders& h) {
  wire::InetChecksum c =
      wire::pseudo_header_sum(p.first(h.ip_len), wire::kIpProtoTcp, uint32_t(p.size() - h.ip_len));
  c.add(p.subspan(h.ip_len));
  return c.folded() == 0xffff;
}

void TcpCoalescer::reset() {
  npackets_ = 0;
  ngroups_ = 0;
}

void TcpCoalescer::start_group(uint16_t i, bool tcp, const TcpHeaders& h) {
  Group& g = groups_[ngroups_];
  g = Group{};
  g.first = g.last = i;
  g.count = 1;
  g.total = uint32_t(packets_[i].size());
  g.tcp = tcp;
  g.open = tcp;
  if (tcp) {
    const uint8_t* t = tcp_of(packets_[i], h);
    g.seg_size = uint16_t(payload_len(packets_[i], h));
    g.next_seq = load_be32(t + 4) + g.seg_size;
    // Only a plain ACK segment takes followers (FIN, SYN, RST, URG, CWR, ECE and PSH
    // end a super-packet where they stand).
    g.open = g.seg_size > 0 && t[13] == wire::kTcpAck;
    g.gso.type = h.v6 ? GsoInfo::Type::tcp6 : GsoInfo::Type::tcp4;
  }
  ++ngroups_;
}

bool TcpCoalescer::continues(const Group& g, uint16_t i, const TcpHeaders& h) const {
  ByteView p = packets_[i], head = packets_[g.first];
  TcpHeaders hh;
  if (!read_tcp_headers(head, hh) || hh.v6 != h.v6 || hh.ip_len != h.ip_len ||
      hh.tcp_len != h.tcp_len)
    return false;
  if (!same_ip_fields(head, p, h.v6)) return false;
  const uint8_t* t = tcp_of(p, h);
  const uint8_t* ht = tcp_of(head, h);
  size_t len = payload_len(p, h);
  return std::memcmp(t, ht, 4) == 0                                     // ports
         && load_be32(t + 4) == g.next_seq                              // in order
         && std::memcmp(t + 8, ht + 8, 4) == 0                          // ack
         && (t[13] & ~kMergeableFlags) == 0 && (t[13] & wire::kTcpAck)  // ACK[, PSH]
         && std::memcmp(t + 20, ht + 20, h.tcp_len - 20) == 0           // options
         && len > 0 && len <= g.seg_size && g.total + len <= kMaxTotal; // fits
}

bool TcpCoalescer::add(MutBytes packet) {
  if (npackets_ >= kMaxPackets) return false;
  uint16_t i = uint16_t(npackets_++);
  packets_[i] = packet;
  next_[i] = kNone;
  TcpHeaders h;
  bool tcp = read_tcp_headers(packet, h) && (h.v6 || h.ip_len == 20);
  hdr_len_[i] = uint16_t(tcp ? h.headers() : 0);
  if (tcp && !tcp_checksum_valid(packet, h)) tcp = false; // alone: the kernel drops it
  if (tcp) {
    // The newest group of this flow, if any, among the last kFlowScan groups.
    size_t stop = ngroups_ > kFlowScan ? ngroups_ - kFlowScan : 0;
    for (size_t k = ngroups_; k-- > stop;) {
      Group& g = groups_[k];
      if (!g.tcp || (g.gso.type == GsoInfo::Type::tcp6) != h.v6 ||
          !same_ip_fields(packets_[g.first], packet, h.v6) ||
          std::memcmp(tcp_of(packets_[g.first], h), tcp_of(packet, h), 4) != 0)
        continue;
      if (!g.open || !continues(g, i, h)) break; // a newer group of the flow starts
      size_t len = payload_len(packet, h);
      next_[g.last] = i;
      g.last = i;
      ++g.count;
      g.total += uint32_t(len);
      g.next_seq += uint32_t(len);
      const uint8_t t13 = tcp_of(packet, h)[13];
      g.open = len == g.seg_size && !(t13 & wire::kTcpPsh) && g.total + g.seg_size <= kMaxTotal;
      return true;
    }
  }
  start_group(i, tcp, h);
  return true;
}

void TcpCoalescer::finish() {
  for (size_t k = 0; k < ngroups_; ++k) {
    Group& g = groups_[k];
    if (g.count < 2) {
      g.gso = GsoInfo{};
      continue;
    }
    MutBytes head = packets_[g.first];
    TcpHeaders h;
    (void)read_tcp_headers(head, h);
    uint8_t* ip = head.data();
    uint8_t* t = ip + h.ip_len;
    if (h.v6) {
      store_be16(ip + 4, uint16_t(g.total - h.ip_len));
    } else {
      store_be16(ip + 2, uint16_t(g.total));
      wire::set_ipv4_header_checksum(ip, h.ip_len);
    }
    if (tcp_of(packets_[g.last], h)[13] & wire::kTcpPsh) t[13] |= wire::kTcpPsh;
    // CHECKSUM_PARTIAL: the field holds the pseudo-header sum, not complemented.
    wire::InetChecksum c = wire::pseudo_header_sum(head.first(h.ip_len), wire::kIpProtoTcp,
                                                   g.total - uint32_t(h.ip_len));
    store_be16(t + 16, c.folded());
    g.gso.segment_size = g.seg_size;
    g.gso.needs_csum = true;
    g.gso.csum_start = uint16_t(h.ip_len);
    g.gso.csum_offset = 16;
  }
}

} // namespace ikekit::esp
