// EspSaOut / EspSaIn behaviour for every suite we ship: round trips, padding,
// tampering, replay, truncation, bad padding, sequence number exhaustion
// (RFC 4303 3.3, 3.4).
#include "esp_test_util.hpp"

#include <catch2/catch.hpp>

using namespace esp_test;

namespace {
const char* const kSuites[] = {"aes128gcm16",     "aes256gcm16",   "chacha20poly1305",
                               "aes128-sha256",   "aes256-sha384", "aes256-sha512",
                               "aes128ctr-sha256"};

struct Sas {
  Suite s;
  Keys keys;
  SeededRng rng{7};
  EspSaOut out;
  EspSaIn in;
  Sas(std::string_view proposal, bool esn, uint32_t window = 1024)
      : s(suite(proposal)), keys(keys_for(s)),
        out(make_out(params(s, keys, 0xc0ffee01, esn, window), &rng)),
        in(make_in(params(s, keys, 0xc0ffee01, esn, window))) {}

  // Seals `payload` and returns the wire bytes.
  Bytes seal(ByteView payload, uint8_t next_header = kNextHeaderIpv4) {
    Packet pkt(payload, out.overhead().header, out.overhead().max_trailer);
    auto r = out.seal_in_place(pkt.span(), pkt.offset, pkt.len, next_header);
    REQUIRE(r);
    return to_bytes(r.packet);
  }
};

// A minimal inner IPv4 / IPv6 header so tunnel-mode payloads look like packets.
Bytes inner_ipv4(size_t len) {
  Bytes b = pattern(len < 20 ? 20 : len, 3);
  b[0] = 0x45;
  store_be16(b.data() + 2, uint16_t(b.size()));
  return b;
}
Bytes inner_ipv6(size_t len) {
  Bytes b = pattern(len < 40 ? 40 : len, 5);
  b[0] = 0x60;
  store_be16(b.data() + 4, uint16_t(b.size() - 40));
  return b;
}
} // namespace

TEST_CASE("ESP round trip for every suite, tunnel IPv4 and IPv6, with and without ESN") {
  for (const char* name : kSuites) {
    for (bool esn : {false, true}) {
      DYNAMIC_SECTION(name << (esn ? " esn" : "")) {
        Sas sa(name, esn);
        for (int i = 0; i < 3; ++i) {
          const bool v6 = i % 2 == 1;
          Bytes inner = v6 ? inner_ipv6(100 + i) : inner_ipv4(1400);
          const uint8_t nh = v6 ? kNextHeaderIpv6 : kNextHeaderIpv4;
          Bytes wire = sa.seal(inner, nh);
          CHECK(load_be32(wire.data()) == 0xc0ffee01);
          CHECK(load_be32(wire.data() + 4) == uint32_t(i + 1)); // RFC 4303 3.3.3: starts at 1
          CHECK(wire.size() % 4 == 0);                          // RFC 4303 2.4 alignment
          auto r = sa.in.open_in_place(wire);
          REQUIRE(r.status == OpenStatus::ok);
          CHECK(r.next_header == nh);
          CHECK(r.seq == uint64_t(i + 1));
          CHECK(to_bytes(r.payload) == inner);
        }
        CHECK(sa.out.stats().packets == 3);
        CHECK(sa.in.stats().packets == 3);
        CHECK(sa.in.stats().bytes == sa.out.stats().bytes);
      }
    }
  }
}

TEST_CASE("ESP padding: 1, 2, 3, ... up to block and 4-byte alignment, payload 0..64") {
  for (const char* name : kSuites) {
    DYNAMIC_SECTION(name) {
      Sas sa(name, false);
      const Overhead& o = sa.out.overhead();
      for (size_t len = 0; len <= 64; ++len) {
        CAPTURE(len);
        Bytes payload = pattern(len, uint8_t(len));
        Packet pkt(payload, o.header, o.max_trailer);
        auto r = sa.out.seal_in_place(pkt.span(), pkt.offset, pkt.len, 17);
        REQUIRE(r);
        const size_t text = r.packet.size() - o.header - o.icv;
        CHECK(text % o.align == 0);
        CHECK(text == len + o.padding(len) + kEspTrailerLen);
        CHECK(o.padding(len) < o.align);
        CHECK(r.packet.size() == o.sealed_len(len));
        // The packet starts exactly `header` bytes before the payload: nothing moved.
        CHECK(r.packet.data() == pkt.buf.data() + pkt.offset - o.header);
        Bytes wire = to_bytes(r.packet);
        auto opened = sa.in.open_in_place(wire);
        REQUIRE(opened.status == OpenStatus::ok);
        CHECK(opened.next_header == 17);
        CHECK(to_bytes(opened.payload) == payload);
      }
    }
  }
}

TEST_CASE("ESP: tampering with any byte is a bad ICV and delivers nothing") {
  for (const char* name : kSuites) {
    DYNAMIC_SECTION(name) {
      Sas sa(name, true);
      Bytes wire = sa.seal(inner_ipv4(61));
      uint64_t bad = 0;
      for (size_t i = 0; i < wire.size(); ++i) {
        CAPTURE(i);
        Bytes t = wire;
        t[i] ^= 0x01;
        auto r = sa.in.open_in_place(t);
        CHECK(r.status != OpenStatus::ok);
        CHECK(r.payload.empty());
        if (i < 4) {
          CHECK(r.status == OpenStatus::unknown_spi); // SPI bytes
        } else if (i == 7) {
          CHECK(r.status == OpenStatus::too_old); // sequence number 1 became 0: never valid
        } else {
          CHECK(r.status == OpenStatus::bad_icv);
          ++bad;
        }
      }
      CHECK(sa.in.stats().bad_icv == bad);
      CHECK(sa.in.stats().unknown_spi == 4);
      CHECK(sa.in.stats().too_old == 1);
      CHECK(sa.in.stats().packets == 0);
      // A failed ICV never moved the window: the genuine packet still opens.
      CHECK(sa.in.replay_window().highest() == 0);
      auto r = sa.in.open_in_place(wire);
      CHECK(r.status == OpenStatus::ok);
    }
  }
}

TEST_CASE("ESP: a replayed packet is counted as replay; an old one as too_old") {
  for (const char* name : {"aes256gcm16", "aes256-sha512"}) {
    DYNAMIC_SECTION(name) {
      Sas sa(name, false, 64);
      Bytes first = sa.seal(inner_ipv4(40));
      Bytes copy = first;
      REQUIRE(sa.in.open_in_place(first).status == OpenStatus::ok);
      CHECK(sa.in.open_in_place(copy).status == OpenStatus::replay);
      CHECK(sa.in.stats().replay == 1);
      // Send 70 more, deliver all but the second packet: it falls out of the 64 window.
      Bytes second = sa.seal(inner_ipv4(40));
      for (int i = 0; i < 70; ++i) {
        Bytes w = sa.seal(inner_ipv4(40));
        REQUIRE(sa.in.open_in_place(w).status == OpenStatus::ok);
      }
      CHECK(sa.in.open_in_place(second).status == OpenStatus::too_old);
      CHECK(sa.in.stats().too_old == 1);
      CHECK(sa.in.stats().packets == 71);
    }
  }
}

TEST_CASE("ESP: reordered packets within the window are all delivered") {
  Sas sa("aes128gcm16", false, 64);
  std::vector<Bytes> wires;
  for (int i = 0; i < 50; ++i)
    wires.push_back(sa.seal(pattern(size_t(10 + i), uint8_t(i))));
  for (int i = 49; i >= 0; --i) {
    auto r = sa.in.open_in_place(wires[size_t(i)]);
    REQUIRE(r.status == OpenStatus::ok);
    CHECK(r.seq == uint64_t(i + 1));
  }
}

TEST_CASE("ESP with ESN across the 2^32 boundary: high half inferred, ICV covers it") {
  for (const char* name : {"aes128gcm16", "aes128-sha256"}) {
    DYNAMIC_SECTION(name) {
      Sas sa(name, true);
      sa.out.set_next_seq_for_test(0xfffffff0u);
      sa.in.replay_window_for_test().commit(0xffffffefu);
      std::vector<Bytes> wires;
      for (int i = 0; i < 40; ++i)
        wires.push_back(sa.seal(pattern(33, uint8_t(i))));
      CHECK(load_be32(wires[16].data() + 4) == 0); // low half wrapped on the wire
      // Deliver out of order around the wrap.
      for (size_t i : {20u, 3u, 16u, 15u, 39u, 0u}) {
        auto r = sa.in.open_in_place(wires[i]);
        REQUIRE(r.status == OpenStatus::ok);
        CHECK(r.seq == uint64_t(0xfffffff0u) + i);
      }
      CHECK(sa.in.replay_window().highest() == uint64_t(0xfffffff0u) + 39);
    }
  }
}

TEST_CASE("ESP without ESN: the SA refuses to seal after 2^32 - 1 (RFC 4303 3.3.3)") {
  for (const char* name : {"aes256gcm16", "aes128-sha256"}) {
    DYNAMIC_SECTION(name) {
      Sas sa(name, false);
      sa.out.set_next_seq_for_test(0xfffffffeu);
      Bytes payload = pattern(20, 1);
      Packet a(payload, 64, 64);
      auto r1 = sa.out.seal_in_place(a.span(), a.offset, a.len, 4);
      REQUIRE(r1);
      CHECK(r1.seq == 0xfffffffeu);
      CHECK(r1.soft_limit);
      Packet b(payload, 64, 64);
      auto r2 = sa.out.seal_in_place(b.span(), b.offset, b.len, 4);
      REQUIRE(r2);
      CHECK(r2.seq == 0xffffffffu);
      CHECK(sa.out.exhausted());
      Packet c(payload, 64, 64);
      auto r3 = sa.out.seal_in_place(c.span(), c.offset, c.len, 4);
      CHECK(r3.status == SealStatus::sa_exhausted);
      CHECK(seal_status_name(r3.status) == "sa_exhausted");
      CHECK(r3.packet.empty());
      CHECK(c.buf == Packet(payload, 64, 64).buf); // nothing written
      CHECK(sa.out.stats().sa_exhausted == 1);
      CHECK(sa.out.stats().packets == 2);
      // The receiver accepts the last one.
      Bytes wire = to_bytes(r2.packet);
      CHECK(sa.in.open_in_place(wire).status == OpenStatus::ok);
    }
  }
}

TEST_CASE("ESP with ESN: the SA refuses to seal after 2^64 - 1") {
  Sas sa("aes128gcm16", true);
  sa.out.set_next_seq_for_test(~uint64_t(0));
  Bytes payload = pattern(8, 1);
  Packet a(payload, 64, 64);
  CHECK(sa.out.seal_in_place(a.span(), a.offset, a.len, 4));
  Packet b(payload, 64, 64);
  CHECK(sa.out.seal_in_place(b.span(), b.offset, b.len, 4).status == SealStatus::sa_exhausted);
}

TEST_CASE("ESP soft limit: signalled from the configured sequence number on") {
  Suite s = suite("aes128gcm16");
  Keys k = keys_for(s);
  auto p = params(s, k, 1, false);
  p.soft_limit_seq = 3;
  EspSaOut out = make_out(p, nullptr);
  Bytes payload = pattern(8, 1);
  for (uint64_t i = 1; i <= 4; ++i) {
    Packet pkt(payload, 64, 64);
    auto r = out.seal_in_place(pkt.span(), pkt.offset, pkt.len, 4);
    REQUIRE(r);
    CHECK(r.soft_limit == (i >= 3));
  }
}

TEST_CASE("ESP: too little headroom or tailroom is refused without writing") {
  Sas sa("aes256-sha384", false);
  const Overhead& o = sa.out.overhead();
  Bytes payload = pattern(30, 1);
  {
    Packet pkt(payload, o.header - 1, o.max_trailer);
    auto r = sa.out.seal_in_place(pkt.span(), pkt.offset, pkt.len, 4);
    CHECK(r.status == SealStatus::no_room);
    CHECK(pkt.buf == Packet(payload, o.header - 1, o.max_trailer).buf);
  }
  {
    Packet pkt(payload, o.header, o.trailer(payload.size()) - 1);
    CHECK(sa.out.seal_in_place(pkt.span(), pkt.offset, pkt.len, 4).status == SealStatus::no_room);
  }
  {
    Packet pkt(payload, o.header, o.trailer(payload.size())); // exactly enough
    CHECK(sa.out.seal_in_place(pkt.span(), pkt.offset, pkt.len, 4));
  }
  Packet pkt(payload, o.header, o.max_trailer);
  CHECK(sa.out.seal_in_place(pkt.span(), pkt.offset, 1000, 4).status == SealStatus::no_room);
  CHECK(sa.out.seal_in_place(pkt.span(), 5000, 0, 4).status == SealStatus::no_room);
  CHECK(sa.out.stats().no_room == 4);
  // Refusals consume no sequence numbers.
  CHECK(sa.out.next_seq() == 2);
}

TEST_CASE("ESP: truncated packets at every length are malformed or bad ICV, never a crash") {
  for (const char* name : kSuites) {
    DYNAMIC_SECTION(name) {
      Sas sa(name, false);
      Bytes wire = sa.seal(inner_ipv4(45));
      const Overhead& o = sa.in.overhead();
      uint64_t malformed = 0;
      for (size_t len = 0; len < wire.size(); ++len) {
        CAPTURE(len);
        Bytes cut(wire.begin(), wire.begin() + long(len));
        auto r = sa.in.open_in_place(cut);
        CHECK(r.status != OpenStatus::ok);
        const bool too_short = len < o.header + kEspTrailerLen + o.icv;
        const bool partial_block = o.align > 4 && !too_short && (len - o.header - o.icv) % o.align;
        if (too_short || partial_block) {
          CHECK(r.status == OpenStatus::malformed);
          ++malformed;
        } else {
          CHECK(r.status == OpenStatus::bad_icv);
        }
      }
      CHECK(sa.in.stats().malformed == malformed);
      CHECK(sa.in.stats().packets == 0);
      CHECK(sa.in.open_in_place(wire).status == OpenStatus::ok);
    }
  }
}

TEST_CASE("ESP: authentic packet with wrong padding bytes is bad_padding") {
  for (const char* name : kSuites) {
    DYNAMIC_SECTION(name) {
      Sas sa(name, false);
      // 33 bytes needs padding with every suite (33 + 2 is not a multiple of 4 or 16).
      Bytes payload = pattern(33, 9);
      Packet pkt(payload, sa.out.overhead().header, sa.out.overhead().max_trailer);
      EspSaOut::TestOverrides o;
      o.bad_padding = true;
      auto r = sa.out.seal_in_place_for_test(pkt.span(), pkt.offset, pkt.len, 4, o);
      REQUIRE(r);
      Bytes wire = to_bytes(r.packet);
      auto opened = sa.in.open_in_place(wire);
      CHECK(opened.status == OpenStatus::bad_padding);
      CHECK(opened.payload.empty());
      CHECK(sa.in.stats().bad_padding == 1);
      // The packet was authentic, so its number is used up all the same.
      CHECK(sa.in.replay_window().highest() == 1);
    }
  }
}

TEST_CASE("ESP: a dummy packet (Next Header 59) is authenticated and discarded") {
  Sas sa("chacha20poly1305", false);
  Bytes wire = sa.seal(pattern(16, 1), kNextHeaderNone);
  auto r = sa.in.open_in_place(wire);
  CHECK(r.status == OpenStatus::dummy);
  CHECK(sa.in.stats().dummy == 1);
  CHECK(sa.in.stats().packets == 0);
}

TEST_CASE("ESP: CBC IVs are drawn from the Rng, AEAD IVs are the sequence number") {
  Sas cbc("aes128-sha256", false);
  Bytes a = cbc.seal(pattern(16, 1));
  Bytes b = cbc.seal(pattern(16, 1));
  CHECK_FALSE(std::equal(a.begin() + 8, a.begin() + 24, b.begin() + 8));
  Sas gcm("aes128gcm16", false);
  gcm.seal(pattern(16, 1));
  Bytes c = gcm.seal(pattern(16, 1));
  CHECK(load_be64(c.data() + 8) == 2);
}

TEST_CASE("ESP SA creation checks transforms and key sizes") {
  Suite gcm = suite("aes128gcm16");
  Keys k = keys_for(gcm);
  SaParams p = params(gcm, k, 1, false);
  SECTION("wrong AEAD key length") {
    Bytes short_key(k.encr_key.begin(), k.encr_key.end() - 1);
    p.encr_key = short_key;
    auto r = EspSaIn::create(p);
    REQUIRE_FALSE(r);
    CHECK(r.error().field == "esp.encr_key");
  }
  SECTION("AEAD with an integrity transform") {
    Suite other = suite("aes128-sha256");
    p.integ = other.integ;
    auto r = EspSaOut::create(p, nullptr);
    REQUIRE_FALSE(r);
    CHECK(r.error().field == "esp.integ");
  }
  SECTION("CBC without integrity or without an Rng") {
    Suite cbc = suite("aes128-sha256");
    Keys kc = keys_for(cbc);
    SaParams pc = params(cbc, kc, 1, false);
    auto no_rng = EspSaOut::create(pc, nullptr);
    REQUIRE_FALSE(no_rng);
    CHECK(no_rng.error().field == "esp.rng");
    pc.integ = nullptr;
    auto no_integ = EspSaIn::create(pc);
    REQUIRE_FALSE(no_integ);
    CHECK(no_integ.error().field == "esp.integ");
  }
  SECTION("bad replay window") {
    p.replay_window = 0;
    auto r = EspSaIn::create(p);
    REQUIRE_FALSE(r);
    CHECK(r.error().field == "esp.replay_window");
  }
  SECTION("missing encr") {
    p.encr = nullptr;
    CHECK_FALSE(EspSaIn::create(p));
  }
}

TEST_CASE("ESP overhead per suite") {
  auto o = esp_overhead(*suite("aes256gcm16").encr, nullptr);
  CHECK(o.header == 16);
  CHECK(o.icv == 16);
  CHECK(o.align == 4);
  CHECK(o.max_trailer == 3 + 2 + 16);
  auto c = esp_overhead(*suite("aes256-sha512").encr, suite("aes256-sha512").integ);
  CHECK(c.header == 24);
  CHECK(c.icv == 32);
  CHECK(c.align == 16);
  CHECK(c.max_trailer == 15 + 2 + 32);
  CHECK(c.sealed_len(1400) == 24 + 1408 + 32);
}

TEST_CASE("ESP: an SA resumed at first_seq sends from there; 0 and past the end are refused") {
  // esp-tunnel resumes an SA after a restart past every number its last run may have
  // sent: the counter IV (RFC 4106 3.1) must never repeat under the key.
  Suite s = suite("aes256gcm16");
  Keys keys = keys_for(s);
  SeededRng rng{7};
  SaParams p = params(s, keys, 0xc0ffee01, false, 1024);
  p.first_seq = 1000;
  EspSaOut out = make_out(p, &rng);
  EspSaIn in = make_in(params(s, keys, 0xc0ffee01, false, 1024));
  CHECK(out.next_seq() == 1000);
  Bytes payload = inner_ipv4(60);
  Packet pkt(payload, out.overhead().header, out.overhead().max_trailer);
  auto r = out.seal_in_place(pkt.span(), pkt.offset, pkt.len, kNextHeaderIpv4);
  REQUIRE(r);
  CHECK(r.seq == 1000);
  CHECK(load_be64(r.packet.data() + 8) == 1000); // the IV is the sequence number
  CHECK(in.open_in_place(r.packet).seq == 1000);

  for (uint64_t bad : {uint64_t(0), uint64_t(UINT32_MAX) + 1}) {
    p.first_seq = bad;
    auto refused = EspSaOut::create(p, &rng);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().field == "esp.first_seq");
  }
  p.first_seq = UINT32_MAX; // the last number may still be sent, once
  auto last = EspSaOut::create(p, &rng);
  REQUIRE(last);
  Packet pkt2(payload, last->overhead().header, last->overhead().max_trailer);
  CHECK(last->seal_in_place(pkt2.span(), pkt2.offset, pkt2.len, kNextHeaderIpv4).seq == UINT32_MAX);
  CHECK(last->exhausted());
}
