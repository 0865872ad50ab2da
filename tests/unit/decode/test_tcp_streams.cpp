// TCP reassembly for RFC 9329 streams in captures (decode/tcp_streams): segments in and
// out of order, retransmitted, overlapping, across the 2^32 sequence wrap; a gap that
// never fills; FIN, RST and SYN; the limits.
#include "decode/tcp_streams.hpp"
#include "wire/tcp.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <string>
#include <vector>

using namespace ikekit;
using namespace ikekit::decode;
using wire::kTcpAck;
using wire::kTcpFin;
using wire::kTcpRst;
using wire::kTcpSyn;

namespace {

const Endpoint kClient{*IpAddress::parse("10.0.0.1"), 40000};
const Endpoint kServer{*IpAddress::parse("10.0.0.2"), 4500};

struct Got {
  std::vector<std::pair<wire::UdpKind, Bytes>> frames;
  std::vector<Error> problems;
};

void drain(TcpStreams& s, Got& got) {
  while (auto item = s.next()) {
    if (item->frame)
      got.frames.emplace_back(item->frame->kind,
                              Bytes(item->frame->data.begin(), item->frame->data.end()));
    else
      got.problems.push_back(item->frame.error());
  }
}

void add(TcpStreams& s, Got& got, uint32_t seq, uint8_t flags, ByteView data,
         bool from_client = true) {
  s.add(TcpSegment{from_client ? kClient : kServer, from_client ? kServer : kClient, seq, flags,
                   data});
  drain(s, got);
}

Bytes ike_message(uint8_t id) {
  Bytes m(28, 0);
  m[0] = id; // SPIi
  m[17] = 0x20;
  m[18] = 34;
  store_be32(&m[24], 28);
  return m;
}

Bytes esp_packet(uint32_t seq) {
  Bytes p(40, 0x77);
  store_be32(&p[0], 0xc0de0001);
  store_be32(&p[4], seq);
  return p;
}

// The originator's stream: "IKETCP", an IKE message, three ESP packets, an IKE message.
struct Stream {
  Bytes bytes;
  std::vector<std::pair<wire::UdpKind, Bytes>> want;
  Stream() {
    bytes.resize(1024);
    wire::TcpEncapWriter w(bytes);
    REQUIRE(w.prefix());
    want.emplace_back(wire::UdpKind::ike, ike_message(1));
    for (uint32_t i = 1; i <= 3; ++i)
      want.emplace_back(wire::UdpKind::esp, esp_packet(i));
    want.emplace_back(wire::UdpKind::ike, ike_message(2));
    for (const auto& [kind, body] : want)
      REQUIRE((kind == wire::UdpKind::ike ? w.ike(body) : w.esp(body)));
    bytes.resize(w.size());
  }
  ByteView part(size_t from, size_t to) const { return ByteView(bytes).subspan(from, to - from); }
};

} // namespace

TEST_CASE("tcp streams: in order from the SYN, at every split", "[decode][tcp]") {
  Stream st;
  for (uint32_t isn : {1000u, 0xffffff00u}) // the second one wraps mid-stream
    for (size_t cut = 1; cut < st.bytes.size(); cut += 3) {
      TcpStreams s;
      Got got;
      add(s, got, isn, kTcpSyn, {});
      add(s, got, isn + 1, kTcpAck, st.part(0, cut));
      add(s, got, uint32_t(isn + 1 + cut), kTcpAck, st.part(cut, st.bytes.size()));
      add(s, got, uint32_t(isn + 1 + st.bytes.size()), kTcpFin | kTcpAck, {});
      INFO("isn " << isn << " cut " << cut);
      CHECK(got.problems.empty());
      CHECK(got.frames == st.want);
    }
}

TEST_CASE("tcp streams: out-of-order, retransmitted and overlapping segments", "[decode][tcp]") {
  Stream st;
  const uint32_t isn = 0xfffffff0;
  const size_t n = st.bytes.size();
  const size_t a = 17, b = 60, c = 130;
  TcpStreams s;
  Got got;
  add(s, got, isn, kTcpSyn, {});
  // [c, n) and [b, c) arrive before [0, a) and [a, b); [b - 5, c + 3) overlaps both sides.
  add(s, got, uint32_t(isn + 1 + c), kTcpAck, st.part(c, n));
  add(s, got, uint32_t(isn + 1 + b - 5), kTcpAck, st.part(b - 5, c + 3));
  add(s, got, uint32_t(isn + 1 + b), kTcpAck, st.part(b, c));
  CHECK(got.frames.empty());
  add(s, got, isn + 1, kTcpAck, st.part(0, a));
  add(s, got, isn + 1, kTcpAck, st.part(0, a)); // retransmitted
  add(s, got, uint32_t(isn + 1 + a), kTcpAck, st.part(a, b));
  add(s, got, uint32_t(isn + 1 + a), kTcpAck, st.part(a, n)); // all of it again
  CHECK(got.problems.empty());
  CHECK(got.frames == st.want);
  CHECK(s.retransmitted_segments() >= 3);
  s.finish();
  drain(s, got);
  CHECK(got.problems.empty());
}

TEST_CASE("tcp streams: a stream cut inside a frame is reported (FIN, RST, end of capture)",
          "[decode][tcp]") {
  Stream st;
  for (uint8_t end : {kTcpFin, kTcpRst, uint8_t(0)}) {
    TcpStreams s;
    Got got;
    add(s, got, 1, kTcpSyn, {});
    add(s, got, 2, kTcpAck, st.part(0, 50)); // the prefix, the IKE message, part of an ESP frame
    if (end)
      add(s, got, 52, end | kTcpAck, {});
    else
      s.finish();
    drain(s, got);
    INFO("flags " << int(end));
    CHECK(got.frames.size() == 1);
    REQUIRE(got.problems.size() == 1);
    CHECK(got.problems[0].field == "tcp.stream");
    CHECK(got.problems[0].code == Errc::truncated);
    // Nothing more from it, even when data follows.
    add(s, got, 52, kTcpAck, st.part(50, st.bytes.size()));
    CHECK(got.frames.size() == 1);
  }
}

TEST_CASE("tcp streams: a gap that never fills", "[decode][tcp]") {
  Stream st;
  SECTION("reported at the end of the capture") {
    TcpStreams s;
    Got got;
    add(s, got, 1, kTcpSyn, {});
    add(s, got, 2, kTcpAck, st.part(0, 40));
    add(s, got, 2 + 60, kTcpAck, st.part(60, st.bytes.size()));
    s.finish();
    drain(s, got);
    CHECK(got.frames.size() == 1);
    REQUIRE(got.problems.size() == 1);
    CHECK(got.problems[0].field == "tcp.reassembly");
    CHECK(got.problems[0].message.find("gap at stream byte 40") != std::string::npos);
  }
  SECTION("over the limit: reported once, the rest ignored, memory released") {
    TcpStreams s;
    Got got;
    add(s, got, 1, kTcpSyn, {});
    Bytes chunk(1000, 0);
    uint32_t seq = 2 + 5000; // never the first byte
    for (size_t i = 0; i < TcpStreams::kMaxPendingSegments + 10; ++i, seq += 1000)
      add(s, got, seq, kTcpAck, chunk);
    REQUIRE(got.problems.size() == 1);
    CHECK(got.problems[0].field == "tcp.reassembly");
    add(s, got, 2, kTcpAck, st.part(0, st.bytes.size()));
    CHECK(got.frames.empty());
    s.finish();
    drain(s, got);
    CHECK(got.problems.size() == 1);
  }
}

TEST_CASE("tcp streams: each direction on its own; the SYN's sender has the prefix",
          "[decode][tcp]") {
  Stream st;
  Bytes reply(64);
  wire::TcpEncapWriter w(reply);
  REQUIRE(w.ike(ike_message(9)));
  reply.resize(w.size());
  TcpStreams s;
  Got got;
  add(s, got, 100, kTcpSyn, {});
  add(s, got, 500, kTcpSyn | kTcpAck, {}, false);
  add(s, got, 101, kTcpAck, st.part(0, 20));
  add(s, got, 501, kTcpAck, reply, false); // no prefix from the responder
  add(s, got, 121, kTcpAck, st.part(20, st.bytes.size()));
  CHECK(got.problems.empty());
  REQUIRE(got.frames.size() == st.want.size() + 1);
  CHECK(got.frames[0].second == ike_message(9));
}

TEST_CASE("tcp streams: a capture that starts mid-connection", "[decode][tcp]") {
  Stream st;
  // The originator's first segment (with "IKETCP") but no SYN.
  TcpStreams s;
  Got got;
  add(s, got, 7777, kTcpAck, st.part(0, st.bytes.size()));
  CHECK(got.problems.empty());
  CHECK(got.frames == st.want);
  // A responder's direction without SYN: frames from its first byte.
  Bytes reply(64);
  wire::TcpEncapWriter w(reply);
  REQUIRE(w.esp(esp_packet(5)));
  reply.resize(w.size());
  add(s, got, 1, kTcpAck, reply, false);
  CHECK(got.frames.size() == st.want.size() + 1);
}

TEST_CASE("tcp streams: a bad prefix closes the direction (RFC 9329 4)", "[decode][tcp]") {
  Stream st;
  Bytes bad = st.bytes;
  bad[3] = 'X';
  TcpStreams s;
  Got got;
  add(s, got, 1, kTcpSyn, {});
  add(s, got, 2, kTcpAck, bad);
  REQUIRE(got.problems.size() == 1);
  CHECK(got.problems[0].field == "tcp.prefix");
  CHECK(got.frames.empty());
  s.finish();
  drain(s, got);
  CHECK(got.problems.size() == 1);
}

TEST_CASE("tcp streams: at most kMaxFlows directions are kept", "[decode][tcp]") {
  Stream st;
  TcpStreams s;
  Got got;
  for (uint16_t port = 1; port <= TcpStreams::kMaxFlows + 50; ++port) {
    s.add(TcpSegment{{kClient.address, port}, kServer, 1, kTcpSyn, {}});
    drain(s, got);
    s.add(TcpSegment{{kClient.address, port}, kServer, 2, kTcpAck, st.part(0, 50)});
    drain(s, got);
  }
  CHECK(got.problems.empty());
  CHECK(got.frames.size() == TcpStreams::kMaxFlows + 50); // each one's IKE message
  s.finish();
  drain(s, got);
  // Only the directions still kept can be reported as cut short.
  CHECK(got.problems.size() == TcpStreams::kMaxFlows);
}
