#include "bench/selector_bench.hpp"

#include "base/bytes.hpp"
#include "bench/stats.hpp"
#include "esp/selector.hpp"
#include "esp/selector_table.hpp"

#include <array>
#include <chrono>
#include <cstring>

namespace ikekit::bench {

namespace {

constexpr size_t kSelectorRing = 256; // packets read in turn: more than the SAs, a few KiB
constexpr size_t kSelectorPacketLen = 64;

enum class PacketKind { ipv4_udp, ipv4_tcp, ipv6_udp };
constexpr std::array<PacketKind, 3> kKinds = {PacketKind::ipv4_udp, PacketKind::ipv4_tcp,
                                              PacketKind::ipv6_udp};

const char* kind_name(PacketKind k) {
  return k == PacketKind::ipv4_udp   ? "ipv4_udp"
         : k == PacketKind::ipv4_tcp ? "ipv4_tcp"
                                     : "ipv6_udp";
}

// SA i: local 10.1.0.0/16 or fd00:1::/48, remote 10.2.i.0/24 or fd00:2:0:i00::/56.
esp::SaSelectors sa_selectors(size_t i, bool v6) {
  uint8_t b[16] = {};
  if (v6) {
    b[0] = 0xfd, b[3] = 1;
    IpAddress local = IpAddress::v6(ByteView(b, 16));
    b[3] = 2, b[6] = uint8_t(i);
    return {{{Prefix{local, 48}}}, {{Prefix{IpAddress::v6(ByteView(b, 16)), 56}}}};
  }
  b[0] = 10, b[1] = 1;
  IpAddress local = IpAddress::v4(ByteView(b, 4));
  b[1] = 2, b[2] = uint8_t(i);
  return {{{Prefix{local, 16}}}, {{Prefix{IpAddress::v4(ByteView(b, 4)), 24}}}};
}

// Packet j of the ring, of SA j % kSelectorBenchSas: between host 5 + j of the local
// prefix and host 9 of the SA's remote one (`outbound`: local -> remote), ports varying.
std::array<uint8_t, kSelectorPacketLen> make_packet(PacketKind k, size_t j, bool outbound) {
  std::array<uint8_t, kSelectorPacketLen> p{};
  const size_t sa = j % kSelectorBenchSas;
  uint8_t local[16] = {}, remote[16] = {};
  size_t l4 = 0, alen = 4;
  if (k == PacketKind::ipv6_udp) {
    alen = 16, l4 = 40;
    local[0] = remote[0] = 0xfd, local[3] = 1, remote[3] = 2, remote[6] = uint8_t(sa);
    local[15] = uint8_t(5 + j), remote[15] = 9;
    p[0] = 0x60;
    store_be16(p.data() + 4, uint16_t(kSelectorPacketLen - 40));
    p[6] = 17, p[7] = 64;
  } else {
    l4 = 20;
    local[0] = remote[0] = 10, local[1] = 1, remote[1] = 2, remote[2] = uint8_t(sa);
    local[3] = uint8_t(5 + j), remote[3] = 9;
    p[0] = 0x45;
    store_be16(p.data() + 2, uint16_t(kSelectorPacketLen));
    p[8] = 64, p[9] = k == PacketKind::ipv4_tcp ? 6 : 17;
  }
  const size_t src = k == PacketKind::ipv6_udp ? 8 : 12;
  std::memcpy(p.data() + src, outbound ? local : remote, alen);
  std::memcpy(p.data() + src + alen, outbound ? remote : local, alen);
  store_be16(p.data() + l4, uint16_t(40000 + j));
  store_be16(p.data() + l4 + 2, uint16_t(k == PacketKind::ipv4_tcp ? 443 : 53));
  if (k == PacketKind::ipv4_tcp) p[l4 + 12] = 0x50; // data offset 5
  return p;
}

struct SelectorCase {
  PacketKind kind;
  bool outbound;
  std::vector<std::array<uint8_t, kSelectorPacketLen>> ring;
  std::vector<std::vector<esp::SelectorPair>> pairs; // inbound: per SA
  esp::SelectorTable table;                          // outbound
  SelectorCaseResult result;
};

void build_selector_case(SelectorCase& c) {
  const bool v6 = c.kind == PacketKind::ipv6_udp;
  for (size_t i = 0; i < kSelectorBenchSas; ++i) {
    esp::SaSelectors s = sa_selectors(i, v6);
    c.table.add(uint32_t(i), i, s);
    c.pairs.push_back(esp::selector_pairs(s));
  }
  for (size_t j = 0; j < kSelectorRing; ++j)
    c.ring.push_back(make_packet(c.kind, j, c.outbound));
  c.result.direction = c.outbound ? "outbound" : "inbound";
  c.result.packet = kind_name(c.kind);
}

// Reads the ring for `slice`; ns per packet. What each step found is checked (a miss
// counts in mismatches), so the compiler cannot drop the work.
double time_selector_reads(SelectorCase& c, Duration slice) {
  const auto start = std::chrono::steady_clock::now();
  uint64_t packets = 0, misses = 0;
  std::chrono::steady_clock::time_point now;
  do {
    for (size_t j = 0; j < kSelectorRing; ++j) {
      const auto& p = c.ring[j];
      esp::PacketSelector sel;
      const size_t sa = j % kSelectorBenchSas;
      bool ok = esp::read_packet_selector(ByteView(p.data(), p.size()), sel);
      if (c.outbound)
        ok = ok && c.table.lookup(sel) == uint32_t(sa);
      else
        ok = ok && esp::check_inbound(c.pairs[sa], sel) == esp::SelectorVerdict::match;
      misses += !ok;
    }
    packets += kSelectorRing;
    now = std::chrono::steady_clock::now();
  } while (now - start < slice);
  c.result.mismatches += misses;
  return double(std::chrono::duration_cast<Duration>(now - start).count()) / double(packets);
}

} // namespace

std::vector<SelectorCaseResult> run_selector_bench(const SelectorBenchOptions& opts) {
  std::vector<SelectorCase> cases(2 * kKinds.size());
  for (size_t i = 0; i < cases.size(); ++i) {
    cases[i].kind = kKinds[i % kKinds.size()];
    cases[i].outbound = i < kKinds.size();
    build_selector_case(cases[i]);
  }
  const Duration slice = opts.duration / opts.rounds;
  for (SelectorCase& c : cases)
    (void)time_selector_reads(c, slice / 4); // warm-up
  for (int r = 0; r < opts.rounds; ++r)
    for (size_t i = 0; i < cases.size(); ++i) { // forwards in even rounds, backwards in odd
      SelectorCase& c = cases[r % 2 ? cases.size() - 1 - i : i];
      c.result.ns.push_back(time_selector_reads(c, slice));
    }
  std::vector<SelectorCaseResult> out;
  for (SelectorCase& c : cases)
    out.push_back(std::move(c.result));
  return out;
}

json::Json selector_result_to_json(const SelectorCaseResult& r) {
  json::Json j;
  j["name"] = "selector_read";
  j["params"] = {{"direction", r.direction}, {"packet", r.packet}, {"sas", kSelectorBenchSas}};
  j["per_packet_ns"] = json::rounded(median(r.ns), 2);
  j["spread_pct"] = json::rounded(spread_pct(r.ns), 2);
  j["rounds"] = r.ns.size();
  j["mismatches"] = r.mismatches;
  return j;
}

} // namespace ikekit::bench
