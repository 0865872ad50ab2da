// RFC 9329 TCP encapsulation: the stream codec (wire/tcp_encap).
//
//   originator -> responder:  "IKETCP" | Length | 0x00000000 | IKE ... | Length | ESP ... | ...
//   responder -> originator:             Length | 0x00000000 | IKE ... | Length | ESP ... | ...
#include "samples.hpp"
#include "wire/tcp_encap.hpp"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

using namespace ikekit;
using namespace ikekit::wire;

namespace {

struct Seen {
  std::vector<std::pair<UdpKind, Bytes>> frames;
  std::vector<Error> errors;
};

// Feeds `stream` in chunks cut at `cuts` and collects everything the reader returns.
Seen read_all(TcpEncapReader& r, ByteView stream, const std::vector<size_t>& cuts) {
  Seen seen;
  size_t at = 0;
  auto drain = [&] {
    while (auto f = r.next()) {
      if (*f)
        seen.frames.emplace_back((*f)->kind, Bytes((*f)->data.begin(), (*f)->data.end()));
      else
        seen.errors.push_back(f->error());
    }
  };
  for (size_t cut : cuts) {
    r.feed(stream.subspan(at, cut - at));
    drain();
    at = cut;
  }
  r.feed(stream.subspan(at));
  drain();
  return seen;
}

Bytes esp_packet(uint32_t spi, uint32_t seq, size_t size) {
  Bytes p(size, 0xab);
  store_be32(p.data(), spi);
  store_be32(p.data() + 4, seq);
  return p;
}

// An originator's stream: the prefix, an IKE_SA_INIT, two ESP packets, a keepalive
// frame (Length 3, 0xFF), and the IKE message again.
struct Sample {
  Bytes ike = wire_samples::strongswan_ike_sa_init();
  Bytes esp1 = esp_packet(0xc0010001, 1, 60);
  Bytes esp2 = esp_packet(0xc0010001, 2, 8);
  Bytes stream;
  Sample() {
    stream.resize(4096);
    TcpEncapWriter w(stream);
    REQUIRE(w.prefix());
    REQUIRE(w.ike(ike));
    REQUIRE(w.esp(esp1));
    REQUIRE(w.esp(esp2));
    size_t n = w.size();
    stream[n] = 0;
    stream[n + 1] = 3;
    stream[n + 2] = kNatKeepalive;
    TcpEncapWriter rest(MutBytes(stream).subspan(n + 3));
    REQUIRE(rest.ike(ike));
    stream.resize(n + 3 + rest.size());
  }
  void check(const Seen& s) const {
    CHECK(s.errors.empty());
    REQUIRE(s.frames.size() == 4);
    CHECK(s.frames[0] == std::make_pair(UdpKind::ike, ike));
    CHECK(s.frames[1] == std::make_pair(UdpKind::esp, esp1));
    CHECK(s.frames[2] == std::make_pair(UdpKind::esp, esp2));
    CHECK(s.frames[3] == std::make_pair(UdpKind::ike, ike));
  }
};

} // namespace

TEST_CASE("TCP encap: the writer's layout (RFC 9329 3.1, 3.2, 4)", "[wire][tcp]") {
  Sample s;
  ByteView st = s.stream;
  CHECK(std::string(st.begin(), st.begin() + 6) == "IKETCP");
  // Length counts itself, then the non-ESP marker, then the IKE message.
  CHECK(load_be16(&st[6]) == 2 + 4 + s.ike.size());
  CHECK(load_be32(&st[8]) == 0);
  CHECK(st[12] == s.ike[0]);
  size_t esp_at = 6 + 2 + 4 + s.ike.size();
  CHECK(load_be16(&st[esp_at]) == 2 + s.esp1.size()); // ESP: no marker
  CHECK(load_be32(&st[esp_at + 2]) == 0xc0010001);

  // Nothing is written when a frame does not fit; what was written stays.
  Bytes small(20);
  TcpEncapWriter w(small);
  CHECK(w.esp(s.esp2)); // 10 bytes
  CHECK_FALSE(w.ike(s.ike));
  CHECK_FALSE(w.esp(s.esp1));
  CHECK(w.size() == 10);

  // In place, for a sealed ESP packet that left headroom.
  Bytes frame(kTcpEspOverhead + 8);
  auto n = write_tcp_frame_header(MutBytes(frame).first(kTcpEspOverhead), UdpKind::esp, 8);
  REQUIRE(n);
  CHECK(*n == 2);
  CHECK(load_be16(frame.data()) == 10);
  CHECK(write_tcp_frame_header(frame, UdpKind::ike, 65530).error().field == "tcp.length");
}

TEST_CASE("TCP encap: a stream in one chunk, and cut at every byte", "[wire][tcp]") {
  Sample s;
  {
    TcpEncapReader r(true);
    s.check(read_all(r, s.stream, {}));
    CHECK(r.stats().ike == 2);
    CHECK(r.stats().esp == 2);
    CHECK(r.stats().keepalives == 1);
    CHECK(r.stats().bytes == s.stream.size());
  }
  for (size_t cut = 0; cut <= s.stream.size(); ++cut) {
    TcpEncapReader r(true);
    INFO("cut at " << cut);
    s.check(read_all(r, s.stream, {cut}));
  }
  // A byte at a time: every frame is gathered.
  std::vector<size_t> every;
  for (size_t i = 1; i < s.stream.size(); ++i)
    every.push_back(i);
  TcpEncapReader r(true);
  s.check(read_all(r, s.stream, every));
}

TEST_CASE("TCP encap: frames inside one chunk are views into it, not copies", "[wire][tcp]") {
  Sample s;
  TcpEncapReader r(true);
  r.feed(s.stream);
  auto f = r.next();
  REQUIRE(f);
  REQUIRE(*f);
  CHECK((*f)->data.data() == s.stream.data() + 6 + kTcpIkeOverhead);
}

TEST_CASE("TCP encap: many frames in one chunk", "[wire][tcp]") {
  Bytes stream(70000);
  TcpEncapWriter w(stream);
  Bytes esp = esp_packet(0x01020304, 0, 64);
  size_t n = 0;
  while (w.esp(esp))
    ++n;
  stream.resize(w.size());
  TcpEncapReader r(false); // the responder's direction: no prefix
  Seen seen = read_all(r, stream, {});
  CHECK(seen.errors.empty());
  CHECK(seen.frames.size() == n);
  CHECK(r.stats().esp == n);
}

TEST_CASE("TCP encap: a truncated stream yields nothing for the cut frame", "[wire][tcp]") {
  Sample s;
  for (size_t len = 0; len < s.stream.size(); ++len) {
    TcpEncapReader r(true);
    Seen seen = read_all(r, ByteView(s.stream).first(len), {});
    INFO("stream cut to " << len);
    CHECK(seen.errors.empty());
    CHECK(!r.closed());
    CHECK(seen.frames.size() <= 3);
  }
}

TEST_CASE("TCP encap: the prefix missing or wrong closes the stream (RFC 9329 4)", "[wire][tcp]") {
  Sample s;
  // The responder's stream starts with a length, not "IKETCP".
  ByteView no_prefix = ByteView(s.stream).subspan(6);
  TcpEncapReader r(true);
  Seen seen = read_all(r, no_prefix, {1, 2});
  REQUIRE(seen.errors.size() == 1);
  CHECK(seen.errors[0].field == "tcp.prefix");
  CHECK(seen.errors[0].message.find("bad_prefix") == 0);
  CHECK(seen.frames.empty());
  CHECK(r.closed());
  CHECK(r.stats().dropped[size_t(TcpDrop::bad_prefix)] == 1);
  r.feed(s.stream); // nothing more once closed
  CHECK_FALSE(r.next());

  Bytes wrong = s.stream;
  wrong[5] = 'Q'; // "IKETCQ"
  for (size_t cut = 0; cut < 8; ++cut) {
    TcpEncapReader w(true);
    Seen ws = read_all(w, wrong, {cut});
    REQUIRE(ws.errors.size() == 1);
    CHECK(ws.errors[0].message.find("octet 5") != std::string::npos);
  }
  // A reader that expects no prefix takes "IK" as a length and the rest as garbage,
  // not as IKE: the prefix belongs to the originator's direction only.
  TcpEncapReader resp(false);
  Seen rs = read_all(resp, s.stream, {});
  CHECK(rs.frames.empty());
}

TEST_CASE("TCP encap: zero, short and oversize lengths", "[wire][tcp]") {
  // Length 0 or 1 cannot count its own field: the stream is closed.
  for (uint8_t len : {0, 1}) {
    Bytes st = {0, len, 0, 10, 0, 0, 0, 1, 0, 0, 0, 1};
    TcpEncapReader r(false);
    Seen seen = read_all(r, st, {1});
    REQUIRE(seen.errors.size() == 1);
    CHECK(seen.errors[0].field == "tcp.length");
    CHECK(r.closed());
    CHECK(seen.frames.empty());
  }
  // Lengths 2 (empty), 3 (not a keepalive), 5, 9 (ESP under 8 bytes), and an IKE
  // frame under the 28-byte header: dropped, counted, and the next frame still read.
  Bytes esp = esp_packet(0x0a0b0c0d, 7, 16);
  for (Bytes bad :
       {Bytes{0, 2}, Bytes{0, 3, 0x01}, Bytes{0, 5, 1, 2, 3}, Bytes{0, 9, 1, 2, 3, 4, 5, 6, 7},
        Bytes{0, 16, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10}}) {
    Bytes st = bad;
    Bytes good(2 + esp.size());
    TcpEncapWriter w(good);
    REQUIRE(w.esp(esp));
    st.insert(st.end(), good.begin(), good.end());
    for (size_t cut = 0; cut <= st.size(); ++cut) {
      TcpEncapReader r(false);
      Seen seen = read_all(r, st, {cut});
      INFO("frame " << int(bad[1]) << " cut at " << cut);
      REQUIRE(seen.errors.size() == 1);
      CHECK(seen.errors[0].message.find("short_frame") == 0);
      CHECK(seen.errors[0].field.find("tcp.frame") == 0);
      REQUIRE(seen.frames.size() == 1);
      CHECK(seen.frames[0].second == esp);
      CHECK(r.stats().dropped[size_t(TcpDrop::short_frame)] == 1);
      CHECK_FALSE(r.closed());
    }
  }
  // Over the reader's limit: skipped without buffering, then in step again.
  Bytes st(2 + 300, 0x55);
  store_be16(st.data(), 302);
  Bytes good(2 + esp.size());
  TcpEncapWriter w(good);
  REQUIRE(w.esp(esp));
  st.insert(st.end(), good.begin(), good.end());
  for (size_t cut = 0; cut <= st.size(); cut += 7) {
    TcpEncapReader r(false, 256);
    Seen seen = read_all(r, st, {cut});
    REQUIRE(seen.errors.size() == 1);
    CHECK(seen.errors[0].message.find("oversize") == 0);
    REQUIRE(seen.frames.size() == 1);
    CHECK(seen.frames[0].second == esp);
    CHECK(r.stats().dropped[size_t(TcpDrop::oversize)] == 1);
  }
}

// RFC 9329 3: the 16-bit length allows a frame of 65535 bytes, larger than any one
// read(2) buffer of ours may bring: the reader gathers it across chunks of any size,
// down to one byte each, and returns it whole and intact, the next frame in step.
TEST_CASE("TCP encap: a 65535-byte frame fed a byte at a time and in reads smaller than it",
          "[wire][tcp]") {
  Bytes big = esp_packet(0xc0010002, 9, kTcpMaxFrame - kTcpEspOverhead);
  for (size_t i = 8; i < big.size(); ++i)
    big[i] = uint8_t(i * 131 + (i >> 8)); // no two neighbouring bytes alike
  Bytes small = esp_packet(0xc0010002, 10, 40);
  Bytes stream(kTcpEncapPrefix.size() + 2 * kTcpMaxFrame);
  TcpEncapWriter w(stream);
  REQUIRE(w.prefix());
  REQUIRE(w.esp(big));
  REQUIRE(w.esp(small));
  stream.resize(w.size());
  for (size_t chunk : {size_t(1), size_t(7), size_t(4096), size_t(65535), size_t(65536)}) {
    INFO("chunks of " << chunk);
    std::vector<size_t> cuts;
    for (size_t at = chunk; at < stream.size(); at += chunk)
      cuts.push_back(at);
    TcpEncapReader r(true);
    Seen seen = read_all(r, stream, cuts);
    CHECK(seen.errors.empty());
    REQUIRE(seen.frames.size() == 2);
    CHECK(seen.frames[0].first == UdpKind::esp);
    CHECK(seen.frames[0].second == big);
    CHECK(seen.frames[1].second == small);
    CHECK_FALSE(r.closed());
    CHECK_FALSE(r.mid_frame());
    CHECK(r.stats().bytes == stream.size());
  }
}
