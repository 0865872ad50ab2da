// Fuzz target for the data plane's traffic selectors (lib/esp/selector, selector_table;
// RFC 4301 4.4.1, 5.1, 5.2): Child SAs of several owners added, rekeyed and removed in
// a SelectorTable, and packets (parsed from bytes, or given as selector values) looked
// up outbound and checked inbound. A brute-force model over the SAs the table holds
// checks every answer.
//
// Input: at most 64 ops, an opcode byte (mod 4) and its operands:
//   0 id:u8 owner:u8 replaces:u8 shape:u8 selectors   add SA id%16 of owner%4, rekeying
//        replaces%16 unless its bit 7 is set; shape bit 0/1: two local/remote selectors;
//        a selector is flags:u8 (bit 0 IPv6; bits 1-2 ports: any, opaque, a range)
//        address[4|16] len:u8 proto:u8 [start:u16 end:u16]. Refused (as the data plane
//        refuses it) when the id is taken or conflict() names another owner's SA.
//   1 id:u8                  remove SA id%16
//   2 len:u16 packet[len]    read_packet_selector, then the checks below
//   3 flags:u8 src dst proto:u8 sport:u16 dport:u16   selector values directly
//        (flags bit 0 IPv6, bit 1 ports known, bit 2 a non-initial fragment)
// Invariants: conflict() names an SA exactly when another owner's SA overlaps; no
// packet matches the SAs of two owners; lookup() finds an SA exactly when a selectable
// SA matches, and one with the longest matching remote prefix; check_inbound() agrees
// with the outbound match of the reversed selectors; the prefixes' bit form agrees
// with Prefix::contains.
#include "esp/selector_table.hpp"
#include "fuzz_input.hpp"
#include "wire/ip.hpp"

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <vector>

using namespace ikekit;
using namespace ikekit::esp;
using ikekit::fuzz::Input;

namespace {

constexpr uint8_t kProtocols[] = {0, wire::kIpProtoIcmp, 6, 17, wire::kIpProtoIcmpv6, 132};

IpAddress address(Input& in, bool v6) {
  Bytes b(v6 ? 16 : 4, 0);
  ByteView got = in.take(b.size());
  std::copy(got.begin(), got.end(), b.begin());
  return v6 ? IpAddress::v6(b) : IpAddress::v4(b);
}

TrafficSelector selector(Input& in) {
  uint8_t flags = in.u8();
  bool v6 = flags & 1;
  TrafficSelector ts;
  ts.addr.addr = address(in, v6);
  ts.addr.len = uint8_t(in.u8() % (v6 ? 129 : 33));
  ts.protocol = kProtocols[in.u8() % std::size(kProtocols)];
  switch ((flags >> 1) & 3) {
  case 1: // OPAQUE (RFC 7296 3.13.1: 65535-0)
    ts.port_start = 65535;
    ts.port_end = 0;
    break;
  case 2:
  case 3:
    ts.port_start = in.u16();
    ts.port_end = in.u16();
    break;
  default:
    break;
  }
  return ts;
}

struct Sa {
  uint64_t owner;
  std::vector<SelectorPair> pairs;    // local -> remote, as the table holds them
  std::vector<SelectorPair> reversed; // remote -> local: inbound as outbound
};

class Program {
public:
  void run(Input& in) {
    for (int ops = 0; ops < 64 && !in.empty(); ++ops) {
      switch (in.u8() % 4) {
      case 0:
        add(in);
        break;
      case 1: {
        uint32_t id = in.u8() % 16;
        IKEKIT_FUZZ_CHECK(table_.remove(id) == (sas_.erase(id) == 1));
        break;
      }
      case 2: {
        PacketSelector p;
        ByteView packet = in.chunk16();
        if (read_packet_selector(packet, p)) {
          // The addresses are where RFC 791 / RFC 8200 put them.
          bool v6 = (packet[0] >> 4) == 6;
          IKEKIT_FUZZ_CHECK(p.src == AddressBits::read(packet.data() + (v6 ? 8 : 12), v6));
          IKEKIT_FUZZ_CHECK(p.dst == AddressBits::read(packet.data() + (v6 ? 24 : 16), v6));
          check(p);
        }
        break;
      }
      default:
        check(values(in));
        break;
      }
    }
  }

private:
  void add(Input& in) {
    uint32_t id = in.u8() % 16;
    uint64_t owner = in.u8() % 4;
    uint8_t r = in.u8();
    std::optional<uint32_t> replaces;
    if (!(r & 0x80)) replaces = r % 16;
    uint8_t shape = in.u8();
    SaSelectors s;
    for (int i = 0; i < 1 + (shape & 1); ++i)
      s.local.push_back(selector(in));
    for (int i = 0; i < 1 + ((shape >> 1) & 1); ++i)
      s.remote.push_back(selector(in));
    Sa sa{owner, selector_pairs(s), selector_pairs(SaSelectors{s.remote, s.local})};
    // conflict(): another owner's SA with an overlapping pair, exactly when there is one.
    bool overlaps = false;
    for (const auto& [other_id, other] : sas_)
      if (other.owner != owner && overlap(sa.pairs, other.pairs)) overlaps = true;
    auto c = table_.conflict(owner, s);
    IKEKIT_FUZZ_CHECK(c.has_value() == overlaps);
    if (c) {
      IKEKIT_FUZZ_CHECK(sas_.count(*c) && sas_.at(*c).owner != owner);
      IKEKIT_FUZZ_CHECK(overlap(sa.pairs, sas_.at(*c).pairs));
      return; // refused, as the data plane refuses it
    }
    if (table_.contains(id)) return;
    table_.add(id, owner, s, replaces);
    sas_.emplace(id, std::move(sa));
    IKEKIT_FUZZ_CHECK(table_.size() == sas_.size());
  }

  static bool overlap(const std::vector<SelectorPair>& a, const std::vector<SelectorPair>& b) {
    for (const auto& x : a)
      for (const auto& y : b)
        if (pairs_overlap(x, y)) {
          IKEKIT_FUZZ_CHECK(pairs_overlap(y, x));
          return true;
        }
    return false;
  }

  static PacketSelector values(Input& in) {
    uint8_t flags = in.u8();
    bool v6 = flags & 1;
    PacketSelector p;
    p.src = AddressBits::of(address(in, v6));
    p.dst = AddressBits::of(address(in, v6));
    p.protocol = kProtocols[in.u8() % std::size(kProtocols)];
    p.ports_known = flags & 2;
    p.fragment = flags & 4;
    p.src_port = in.u16();
    p.dst_port = in.u16();
    return p;
  }

  void check(const PacketSelector& p) {
    std::optional<uint8_t> longest; // remote prefix length of the best selectable match
    std::optional<uint64_t> owner;  // of any SA the packet matches outbound
    for (const auto& [id, sa] : sas_) {
      for (const SelectorPair& pair : sa.pairs) {
        // The bit form the packet path uses agrees with Prefix::contains.
        IKEKIT_FUZZ_CHECK(pair.remote_bits.contains(p.dst) ==
                          pair.remote.addr.contains(p.dst.address()));
        IKEKIT_FUZZ_CHECK(pair.local_bits.contains(p.src) ==
                          pair.local.addr.contains(p.src.address()));
        if (!pair_matches_outbound(pair, p)) continue;
        IKEKIT_FUZZ_CHECK(!owner || *owner == sa.owner); // overlaps were refused
        owner = sa.owner;
        if (table_.selectable(id) && (!longest || pair.remote.addr.len > *longest))
          longest = pair.remote.addr.len;
      }
      // RFC 4301 5.2: inbound is the outbound match of the reversed selectors.
      bool inbound =
          std::any_of(sa.reversed.begin(), sa.reversed.end(),
                      [&](const SelectorPair& r) { return pair_matches_outbound(r, p); });
      IKEKIT_FUZZ_CHECK((check_inbound(sa.pairs, p) == SelectorVerdict::match) == inbound);
    }
    auto found = table_.lookup(p);
    IKEKIT_FUZZ_CHECK(found.has_value() == longest.has_value());
    if (!found) return;
    IKEKIT_FUZZ_CHECK(table_.selectable(*found) && sas_.count(*found));
    const Sa& sa = sas_.at(*found);
    IKEKIT_FUZZ_CHECK(std::any_of(sa.pairs.begin(), sa.pairs.end(), [&](const SelectorPair& s) {
      return pair_matches_outbound(s, p) && s.remote.addr.len == *longest;
    }));
  }

  SelectorTable table_;
  std::map<uint32_t, Sa> sas_;
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Input in(data, size);
  Program().run(in);
  return 0;
}
