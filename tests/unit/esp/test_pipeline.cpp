// The sans-I/O ESP pipeline (esp/outbound_pipeline.hpp, esp/inbound_pipeline.hpp): two
// pipelines joined by a simulated network (copies of the sealed bytes), as the TUN data
// plane drives them. RFC 4301 5.1 (SA selection) and 5.2 (inbound selector check),
// RFC 4303 3.4.3 (replay under reordering), 3.1.1 (transport mode), 3.3.3 (rekey before
// the sequence space ends), and the UDP GSO runs split by SA.
#include "esp/inbound_pipeline.hpp"
#include "esp/outbound_pipeline.hpp"
#include "esp_test_util.hpp"
#include "selector_test_util.hpp"

#include <catch2/catch.hpp>
#include <cstring>

using namespace ikekit;
using namespace ikekit::esp;
using esp_test::keys_for;
using esp_test::make_in;
using esp_test::make_out;
using esp_test::params;
using esp_test::suite;
using selector_test::ip;
using selector_test::ports;
using selector_test::sel;
using selector_test::v4;
using selector_test::v6;

namespace {

constexpr size_t kHead = 64, kTail = 320;

struct Link {
  OutboundPipeline out;
  InboundPipeline in;
  std::vector<Bytes> offered; // the packets offered to the outbound side
  std::vector<Bytes> bufs;    // one buffer per packet of the last seal(), sealed in place
  std::vector<OutPacket> pkts;

  // One SA pair direction left -> right: id `id` outbound, SPI `spi` inbound.
  void add(uint32_t id, uint32_t spi, const SaSelectors& s, EspMode mode = EspMode::tunnel,
           std::shared_ptr<SeqReservation> res = nullptr, uint64_t soft_limit = 0,
           const char* local = "192.0.2.1", const char* remote = "192.0.2.2") {
    auto su = suite("aes256gcm16");
    auto k = keys_for(su, uint8_t(id));
    SaParams p = params(su, k, spi, false);
    p.soft_limit_seq = soft_limit;
    out.add(id, 1, s, std::nullopt, OutboundSa{spi + 1, make_out(p, nullptr), mode, res});
    // The receiver's selectors are the sender's, seen from the other end.
    SaSelectors mirrored{s.remote, s.local};
    REQUIRE(
        in.add(make_in(p), InboundSaInfo{mode, ip(remote), ip(local), selector_pairs(mirrored)}));
  }
  void offer(const Bytes& packet) { offered.push_back(packet); }
  // Seals a fresh copy of every offered packet.
  std::vector<SealedPacket> seal() {
    bufs.clear();
    for (const Bytes& packet : offered) {
      bufs.emplace_back(kHead + packet.size() + kTail, 0);
      std::memcpy(bufs.back().data() + kHead, packet.data(), packet.size());
    }
    pkts.clear();
    for (auto& b : bufs)
      pkts.push_back(OutPacket{b, kHead, b.size() - kHead - kTail});
    std::vector<SealedPacket> sealed(pkts.size());
    sealed.resize(out.seal_batch(pkts, sealed));
    return sealed;
  }
};

// The network: each sealed packet copied into its own receive buffer with headroom.
struct Wire {
  std::vector<Bytes> bufs;
  std::vector<InPacket> in;
  void carry(const std::vector<SealedPacket>& sealed, std::initializer_list<size_t> order) {
    for (size_t i : order) {
      bufs.emplace_back(kHead + sealed[i].esp.size(), 0);
      std::memcpy(bufs.back().data() + kHead, sealed[i].esp.data(), sealed[i].esp.size());
    }
    in.clear();
    for (auto& b : bufs)
      in.push_back(InPacket{MutBytes(b).subspan(kHead), b.data()});
  }
};

Bytes udp(const char* src, const char* dst, uint16_t sport, uint8_t tag) {
  Bytes l4 = ports(sport, 53);
  l4.push_back(tag);
  store_be16(&l4[4], uint16_t(l4.size()));
  return v4(src, dst, 17, l4);
}

} // namespace

TEST_CASE("pipeline: packets go out on the SA their selectors pick; GSO runs split by SA") {
  Link l;
  l.add(0, 0x1000, sel({"10.1.0.0/16"}, {"10.2.0.0/16"}));
  l.add(1, 0x2000, sel({"10.1.0.0/16"}, {"10.3.0.0/16"}));
  // A A B B A, then one no SA takes.
  for (const char* dst : {"10.2.0.1", "10.2.0.2", "10.3.0.1", "10.3.0.2", "10.2.0.3", "10.9.0.1"})
    l.offer(udp("10.1.0.1", dst, 1000, 1));
  auto sealed = l.seal();
  REQUIRE(sealed.size() == 5);
  CHECK(l.out.stats().no_sa == 1);
  std::vector<uint32_t> sas;
  for (auto& s : sealed)
    sas.push_back(s.sa);
  CHECK(sas == std::vector<uint32_t>{0, 0, 1, 1, 0});
  CHECK(load_be32(sealed[2].esp.data()) == 0x2000);
  std::vector<GsoRun> runs(sealed.size());
  runs.resize(gso_runs(sealed, 64, 65000, runs));
  REQUIRE(runs.size() == 3);
  CHECK(runs[0].count == 2);
  CHECK(runs[1].first == 2);
  CHECK(runs[1].count == 2);
  CHECK(runs[2].count == 1);
  // The segment limit cuts a run; a shorter packet ends one.
  runs.resize(sealed.size());
  CHECK(gso_runs(sealed, 1, 65000, runs) == 5);
}

TEST_CASE("gso_runs: only the last packet of a run may be shorter; bytes are capped") {
  std::vector<uint8_t> mem(10000);
  auto pkt = [&](size_t off, size_t len, uint32_t sa) {
    return SealedPacket{MutBytes(mem).subspan(off, len), sa};
  };
  std::vector<SealedPacket> p{pkt(0, 100, 7), pkt(100, 100, 7), pkt(200, 60, 7), pkt(300, 100, 7),
                              pkt(400, 120, 7)};
  std::vector<GsoRun> runs(p.size());
  runs.resize(gso_runs(p, 64, 65000, runs));
  REQUIRE(runs.size() == 3); // [100 100 60] [100] [120]: a larger one cannot follow
  CHECK(runs[0].count == 3);
  CHECK(runs[0].segment_size == 100);
  CHECK(runs[1].count == 1);
  CHECK(runs[2].segment_size == 120);
  runs.resize(p.size());
  CHECK(gso_runs(p, 64, 250, runs) == 4); // 100 + 100 fit in 250, the 60 does not
}

TEST_CASE("pipeline: reordered packets are delivered once, replays and old ones dropped") {
  Link l;
  l.add(0, 0x1000, sel({"10.1.0.0/16"}, {"10.2.0.0/16"}));
  for (uint8_t i = 0; i < 6; ++i)
    l.offer(udp("10.1.0.1", "10.2.0.1", 1000, i));
  auto sealed = l.seal();
  REQUIRE(sealed.size() == 6);
  Wire w;
  w.carry(sealed, {0, 2, 1, 5, 3, 4, 2, 5}); // reordered, then two replays
  std::vector<MutBytes> got(w.in.size());
  size_t n = l.in.open_batch(w.in, got);
  REQUIRE(n == 6);
  std::vector<uint8_t> tags;
  for (size_t i = 0; i < n; ++i)
    tags.push_back(got[i][got[i].size() - 1]);
  CHECK(tags == std::vector<uint8_t>{0, 2, 1, 5, 3, 4});
  InStats s = l.in.stats();
  CHECK(s.packets == 6);
  CHECK(s.replay == 2);
  // Far ahead, then an old one: left of the window (RFC 4303 3.4.3).
  Link far;
  far.add(0, 0x1000, sel({"10.1.0.0/16"}, {"10.2.0.0/16"}));
  for (int i = 0; i < 1100; ++i)
    far.offer(udp("10.1.0.1", "10.2.0.1", 1000, 1));
  auto many = far.seal();
  Wire w2;
  w2.carry(many, {1099, 0});
  std::vector<MutBytes> got2(2);
  CHECK(far.in.open_batch(w2.in, got2) == 1);
  CHECK(far.in.stats().too_old == 1);
}

TEST_CASE("pipeline: the inbound selector check drops what lies outside the SA") {
  Link l;
  l.add(0, 0x1000, sel({"10.1.0.0/16"}, {"10.2.0.0/16[17/53]"}));
  l.offer(udp("10.1.0.1", "10.2.0.1", 1000, 1));
  auto sealed = l.seal();
  REQUIRE(sealed.size() == 1);
  // A peer that seals a packet from an address its SA does not cover (the same keys on
  // an SA with wider selectors): opened, then dropped by source.
  Link wide;
  wide.add(0, 0x1000, sel({"10.0.0.0/8"}, {"10.2.0.0/16"}));
  wide.offer(udp("10.9.0.1", "10.2.0.1", 1000, 1));
  auto sealed2 = wide.seal();
  REQUIRE(sealed2.size() == 1);
  Wire w;
  w.carry(sealed2, {0});
  std::vector<MutBytes> got(1);
  CHECK(l.in.open_batch(w.in, got) == 0);
  CHECK(l.in.stats().selector_src == 1);
  CHECK(l.in.stats().packets == 0);
}

TEST_CASE("pipeline: transport mode seals the segment and rebuilds the IP header, IPv4 and IPv6") {
  for (bool ipv6 : {false, true}) {
    SECTION(ipv6 ? "IPv6" : "IPv4") {
      const char* a = ipv6 ? "2001:db8::1" : "192.0.2.1";
      const char* b = ipv6 ? "2001:db8::2" : "192.0.2.2";
      Link l;
      l.add(0, 0x1000,
            sel({ipv6 ? "2001:db8::1/128" : "192.0.2.1/32"},
                {ipv6 ? "2001:db8::2/128" : "192.0.2.2/32"}),
            EspMode::transport, nullptr, 0, a, b);
      Bytes l4 = ports(1000, 53);
      l4.resize(100, 0x5a);
      store_be16(&l4[4], uint16_t(l4.size()));
      Bytes pkt = ipv6 ? v6(a, b, 17, l4) : v4(a, b, 17, l4);
      l.offer(pkt);
      l.offer(pkt);
      auto sealed = l.seal();
      REQUIRE(sealed.size() == 2);
      // ESP carries the segment only: header + IV (16), the 100 bytes, padding (2, RFC
      // 4303 2.4: 4-byte alignment), Pad Length, Next Header, ICV (16).
      CHECK(sealed[0].esp.size() == 16 + l4.size() + 2 + 2 + 16);
      // Both packets back to back in one buffer (a UDP GRO message), no headroom
      // between them: the pipeline must find room for the IP header anyway.
      Bytes gro(kHead);
      for (auto& s : sealed)
        gro.insert(gro.end(), s.esp.begin(), s.esp.end());
      std::vector<InPacket> in{
          InPacket{MutBytes(gro).subspan(kHead, sealed[0].esp.size()), gro.data()},
          InPacket{MutBytes(gro).subspan(kHead + sealed[0].esp.size()), gro.data()}};
      std::vector<MutBytes> got(2);
      REQUIRE(l.in.open_batch(in, got) == 2);
      for (auto& g : got) {
        PacketSelector ps;
        REQUIRE(read_packet_selector(g, ps));
        CHECK(ps.src == AddressBits::of(ip(a)));
        CHECK(ps.dst == AddressBits::of(ip(b)));
        CHECK(ps.protocol == 17);
        CHECK(g.size() == pkt.size());
        CHECK(Bytes(g.end() - 100, g.end()) == l4);
      }
      // The second never overlaps the first.
      CHECK(got[1].data() >= got[0].data() + got[0].size());
    }
  }
}

TEST_CASE(
    "pipeline: unreserved sequence numbers are held back; the soft limit asks once for a rekey") {
  auto res = std::make_shared<SeqReservation>();
  res->limit = 2;
  Link l;
  l.add(0, 0x1000, sel({"10.1.0.0/16"}, {"10.2.0.0/16"}), EspMode::tunnel, res, 3);
  for (int i = 0; i < 4; ++i)
    l.offer(udp("10.1.0.1", "10.2.0.1", 1000, 1));
  CHECK(l.seal().size() == 2);
  CHECK(l.out.stats().seq_unreserved == 2);
  CHECK(l.out.rekey_requests().empty());
  res->limit = 100; // the owner made more numbers durable
  CHECK(l.seal().size() == 4);
  REQUIRE(l.out.rekey_requests().size() == 1); // seq 3 reached the soft limit
  CHECK(l.out.rekey_requests()[0] == 0x1001);
  l.out.clear_rekey_requests();
  CHECK(l.seal().size() == 4);
  CHECK(l.out.rekey_requests().empty()); // once per SA
}

TEST_CASE("pipeline: only an authenticated packet from a new source reports a peer change "
          "(RFC 3948, RFC 7296 2.23)") {
  Link l;
  l.add(0, 0x1000, sel({"10.1.0.0/16"}, {"10.2.0.0/16"}));
  // The peer as installed: 192.0.2.1 (the sender's address), port 4500.
  const EspSource peer{ip("192.0.2.1"), 0}, attacker{ip("198.51.100.7"), 4500},
      mapping{ip("192.0.2.1"), 61000};
  REQUIRE(l.in.set_peer(0x1000, EspSource{ip("192.0.2.1"), 4500}));
  CHECK_FALSE(l.in.set_peer(0x9999, peer));
  for (uint8_t i = 0; i < 4; ++i)
    l.offer(udp("10.1.0.1", "10.2.0.1", 1000, i));
  auto sealed = l.seal();
  REQUIRE(sealed.size() == 4);
  auto open_from = [&](size_t packet, const EspSource& from, bool flip) {
    Wire w;
    w.carry(sealed, {packet});
    if (flip) w.in[0].esp[w.in[0].esp.size() - 1] ^= 0x01; // the ICV no longer verifies
    w.in[0].source = &from;
    std::vector<MutBytes> got(1);
    return l.in.open_batch(w.in, got);
  };
  // A forged packet from another address: dropped, nothing reported.
  CHECK(open_from(0, attacker, true) == 0);
  CHECK(l.in.peer_changes().empty());
  // The real packet from the peer's address: delivered, nothing new.
  CHECK(open_from(0, EspSource{ip("192.0.2.1"), 4500}, false) == 1);
  CHECK(l.in.peer_changes().empty());
  // The same packet replayed from another address: dropped by the replay window.
  CHECK(open_from(0, attacker, false) == 0);
  CHECK(l.in.peer_changes().empty());
  CHECK(l.in.stats().replay == 1);
  // A fresh packet from the peer's new NAT mapping: reported once.
  CHECK(open_from(1, mapping, false) == 1);
  CHECK(open_from(2, mapping, false) == 1);
  REQUIRE(l.in.peer_changes().size() == 1);
  CHECK(l.in.peer_changes()[0].spi == 0x1000);
  CHECK(l.in.peer_changes()[0].source == mapping);
  // Once the IKE SA followed, packets from there are the peer's.
  l.in.clear_peer_changes();
  REQUIRE(l.in.set_peer(0x1000, mapping));
  CHECK(open_from(3, mapping, false) == 1);
  CHECK(l.in.peer_changes().empty());
}
