// The capture decoder (lib/decode/decoder.hpp) on the committed strongSwan captures and
// hand-made frames: IKE fragments (RFC 7383) and their bounded reassembly, truncated
// frames, NAT keepalives (RFC 3948), extra IKE ports, IKE over TCP (RFC 9329) and the
// payload rules. Keys and decryption: test_decoder.cpp.
#include "crypto/sk.hpp"
#include "decoder_records.hpp"
#include "wire/tcp_encap.hpp"

#include <catch2/catch.hpp>
#include <pcap/dlt.h>
#include <set>
#include <string>
#include <vector>

using namespace decoder_tests;

TEST_CASE("decoder: SKF, the fragment that completes the message carries the inner payloads "
          "(RFC 7383 2.6)",
          "[decode][decoder]") {
  auto frames = read_frames("rsa-aes256gcm16-ecp256");
  KeyStore keys = full_keys("rsa-aes256gcm16-ecp256");
  Collect sink;
  decode_all(frames, keys, sink);
  std::vector<IkeSeen> frags;
  for (const auto& i : sink.ike)
    if (i.encrypted && i.info.total_fragments > 0) frags.push_back(i);
  REQUIRE(frags.size() == 4); // IKE_AUTH request and response, 2 SKF each
  for (size_t n = 0; n < 4; ++n) {
    const auto& f = frags[n];
    INFO("frame " << f.frame);
    CHECK(f.exchange == ExchangeType::ike_auth);
    CHECK(f.response == (n >= 2));
    CHECK(f.info.total_fragments == 2);
    CHECK(f.info.fragment_number == n % 2 + 1);
    CHECK(f.info.decrypted);
    CHECK(f.info.integrity == Integrity::ok);
    bool last = n % 2 == 1;
    CHECK(f.info.completes_message == last);
    CHECK(f.info.has_inner == last);
    if (!last) continue;
    const auto& t = f.inner_types;
    auto has = [&](PayloadType p) { return std::find(t.begin(), t.end(), p) != t.end(); };
    CHECK(has(f.response ? PayloadType::idr : PayloadType::idi));
    CHECK(has(PayloadType::cert));
    CHECK(has(PayloadType::auth));
    CHECK(has(PayloadType::sa));
    CHECK(has(PayloadType::tsi));
    CHECK(has(PayloadType::tsr));
  }
}

TEST_CASE("decoder: an unfragmented IKE_AUTH carries its inner payloads", "[decode][decoder]") {
  auto frames = read_frames("psk-aes128-sha256-modp2048");
  KeyStore keys = full_keys("psk-aes128-sha256-modp2048");
  Collect sink;
  decode_all(frames, keys, sink);
  REQUIRE(sink.ike.size() == 6);
  const auto& req = sink.ike[2];
  CHECK(req.exchange == ExchangeType::ike_auth);
  CHECK_FALSE(req.response);
  CHECK(req.info.total_fragments == 0);
  REQUIRE(req.info.has_inner);
  CHECK(std::count(req.inner_types.begin(), req.inner_types.end(), PayloadType::idi) == 1);
  CHECK(std::count(req.inner_types.begin(), req.inner_types.end(), PayloadType::auth) == 1);
  // The closing INFORMATIONAL carries a Delete.
  const auto& del = sink.ike[4];
  CHECK(del.exchange == ExchangeType::informational);
  CHECK(std::count(del.inner_types.begin(), del.inner_types.end(), PayloadType::d) == 1);
}

TEST_CASE("decoder: truncated frames are malformed records naming the field", "[decode][decoder]") {
  auto frames = read_frames("psk-aes256gcm16-ecp256");
  for (size_t idx : {size_t(0), size_t(2), size_t(4)}) { // IKE_SA_INIT, IKE_AUTH, ESP
    const auto& whole = frames[idx];
    for (size_t cut = 0; cut < whole.bytes.size(); ++cut) {
      INFO("frame " << whole.frame.number << " cut at " << cut);
      KeyStore keys = full_keys("psk-aes256gcm16-ecp256");
      Decoder d(keys, {});
      Collect sink;
      Frame f = whole.frame;
      f.data = ByteView(whole.bytes).first(cut);
      d.feed(f, sink);
      CHECK(d.summary().malformed == 1);
      REQUIRE(sink.malformed.size() == 1);
      CHECK(sink.malformed[0].kind == "frame");
      CHECK_FALSE(sink.malformed[0].error.field.empty());
      CHECK(sink.ike.empty());
      CHECK(sink.esp.empty());
    }
  }
}

TEST_CASE("decoder: a truncated IKE message in a whole UDP datagram names the IKE field",
          "[decode][decoder]") {
  auto frames = read_frames("psk-aes256gcm16-ecp256");
  // Frame 1: IKE_SA_INIT request on port 500, behind 14 + 20 + 8 bytes of headers.
  ByteView ike = ByteView(frames[0].bytes).subspan(42);
  REQUIRE(ike.size() > 200);
  std::set<std::string> fields;
  for (size_t cut = 0; cut < ike.size(); cut += 7) {
    Bytes ip = raw_udp(500, 500, ike.first(cut));
    KeyStore keys;
    Decoder d(keys, {});
    Collect sink;
    d.feed(frame_of(DLT_RAW, ip), sink);
    INFO("cut at " << cut);
    REQUIRE(sink.malformed.size() == 1);
    CHECK(sink.malformed[0].kind == "ike");
    const std::string& field = sink.malformed[0].error.field;
    CHECK((field.rfind("header", 0) == 0 || field.rfind("payload[", 0) == 0));
    fields.insert(field);
    CHECK(d.summary().ike_messages == 0);
  }
  CHECK(fields.size() > 2);
  // Whole, it decodes.
  Bytes ip = raw_udp(500, 500, ike);
  KeyStore keys;
  Decoder d(keys, {});
  Collect sink;
  d.feed(frame_of(DLT_RAW, ip), sink);
  CHECK(sink.malformed.empty());
  CHECK(d.summary().ike_messages == 1);
}

TEST_CASE("decoder: ESP shorter than its header is malformed", "[decode][decoder]") {
  const uint8_t esp[] = {0, 0, 0, 1, 0, 0, 0};
  Bytes ip = raw_udp(4500, 4500, esp);
  KeyStore keys;
  Decoder d(keys, {});
  Collect sink;
  d.feed(frame_of(DLT_RAW, ip), sink);
  REQUIRE(sink.malformed.size() == 1);
  CHECK(sink.malformed[0].kind == "esp");
  CHECK(sink.malformed[0].error.field == "udp.esp");
  CHECK(d.summary().esp_packets == 0);
}

TEST_CASE("decoder: NAT keepalives are counted, not reported (RFC 3948 2.3)", "[decode][decoder]") {
  const uint8_t keepalive[] = {0xff};
  Bytes ip = raw_udp(4500, 4500, keepalive);
  KeyStore keys;
  Decoder d(keys, {});
  Collect sink;
  d.feed(frame_of(DLT_RAW, ip, 1), sink);
  d.feed(frame_of(DLT_RAW, ip, 2), sink);
  CHECK(d.summary().nat_keepalives == 2);
  CHECK(d.summary().packets == 2);
  CHECK(d.summary().malformed == 0);
  CHECK(d.summary().esp_packets == 0);
  CHECK(sink.ike.empty());
  CHECK(sink.esp.empty());
  CHECK(sink.malformed.empty());
  // Other UDP and unknown link types are "other".
  Bytes dns = raw_udp(53, 53, keepalive);
  d.feed(frame_of(DLT_RAW, dns, 3), sink);
  d.feed(frame_of(9999, dns, 4), sink);
  CHECK(d.summary().other == 2);
  CHECK(d.summary().malformed == 0);
}

TEST_CASE("decoder: --ike-port style extra IKE ports", "[decode][decoder]") {
  auto frames = read_frames("psk-aes256gcm16-ecp256");
  ByteView ike = ByteView(frames[0].bytes).subspan(42);
  Bytes ip = raw_udp(7500, 7500, ike);
  KeyStore keys;
  Collect sink;
  Decoder plain(keys, {});
  plain.feed(frame_of(DLT_RAW, ip), sink);
  CHECK(plain.summary().other == 1);
  DecoderOptions o;
  o.ike_ports.insert(7500);
  Decoder extra(keys, o);
  extra.feed(frame_of(DLT_RAW, ip), sink);
  CHECK(extra.summary().ike_messages == 1);
}

// Issue 11: IKE fragment reassembly is bounded. Fragments are sealed with the rsa
// scenario's SK_ei so they decrypt; what is kept is capped by fragment count, bytes and
// messages in reassembly per IKE SA, and each fragment thrown away is counted.
TEST_CASE("decoder: IKE fragment reassembly is bounded and drops are counted",
          "[decode][decoder]") {
  KeyStore keys = full_keys("rsa-aes256gcm16-ecp256");
  REQUIRE_FALSE(keys.ike_sas().empty());
  const auto& [spis, k] = *keys.ike_sas().begin();
  auto crypter = crypto::SkCrypter::create(*crypto::find_keyword("aes256gcm16"), k.sk_ei.reveal(),
                                           nullptr, {});
  REQUIRE(crypter);
  SeededRng rng(7);
  auto skf = [&](uint32_t mid, uint16_t number, uint16_t total, size_t len) {
    Bytes m(28 + crypter->sealed_size(len, true), 0);
    store_be64(&m[0], spis.first);
    store_be64(&m[8], spis.second);
    m[16] = 53;   // SKF (RFC 7383 2.5)
    m[17] = 0x20; // IKEv2
    m[18] = uint8_t(ExchangeType::ike_auth);
    m[19] = 0x08; // initiator
    store_be32(&m[20], mid);
    m[28] = number == 1 ? uint8_t(PayloadType::n) : 0;
    store_be16(&m[32], number);
    store_be16(&m[34], total);
    auto n = crypter->seal(m, 28, len, true, rng);
    REQUIRE(n);
    m.resize(*n);
    return raw_udp(500, 500, m);
  };
  Decoder d(keys, {});
  Collect sink;
  uint64_t frame = 0;
  auto feed = [&](const Bytes& b) { d.feed(frame_of(DLT_RAW, b, ++frame), sink); };

  feed(skf(100, 1, IkeTracker::kMaxIkeFragments + 1, 16)); // announces too many: not kept
  REQUIRE(sink.ike.back().info.problem);
  CHECK(sink.ike.back().info.problem->field == "skf.total_fragments");
  CHECK(d.summary().fragments_dropped == 1);

  for (uint32_t mid = 10; mid < 10 + IkeTracker::kMaxReassemblies + 1; ++mid)
    feed(skf(mid, 1, 2, 16));                // one more message than the SA keeps in reassembly
  CHECK(d.summary().fragments_dropped == 2); // the oldest (message 10) went
  feed(skf(10, 2, 2, 16));                   // its second half is dropped too
  CHECK_FALSE(sink.ike.back().info.completes_message);
  CHECK(d.summary().fragments_dropped == 3);
  feed(skf(11, 2, 2, 16)); // message 11 is still there
  CHECK(sink.ike.back().info.completes_message);

  const size_t big = 30000; // three of these exceed kMaxIkeMessageBytes
  feed(skf(50, 1, 3, big));
  feed(skf(50, 2, 3, big));
  feed(skf(50, 3, 3, big));
  REQUIRE(sink.ike.back().info.problem);
  CHECK(sink.ike.back().info.problem->field == "skf");
  CHECK_FALSE(sink.ike.back().info.completes_message);
  CHECK(d.summary().fragments_dropped == 3 + 3);
}

TEST_CASE("decoder: TCP on an RFC 9329 port is reassembled and framed; other TCP is other",
          "[decode][decoder][tcp]") {
  auto frames = read_frames("psk-aes256gcm16-ecp256");
  ByteView ike = ByteView(frames[0].bytes).subspan(42); // the IKE_SA_INIT request
  Bytes stream(ike.size() + 16);
  wire::TcpEncapWriter w(stream);
  REQUIRE(w.prefix());
  REQUIRE(w.ike(ike));
  stream.resize(w.size());
  // A TCP segment: the UDP helper's IPv4 header, then a 20-byte TCP header.
  auto segment = [](uint16_t sport, uint16_t dport, uint32_t seq, uint8_t flags, ByteView data,
                    size_t header = 20) {
    Bytes b = raw_udp(sport, dport, {});
    b.resize(20);
    b[9] = 6;
    Bytes t(header, 0);
    store_be16(&t[0], sport);
    store_be16(&t[2], dport);
    if (t.size() >= 20) {
      store_be32(&t[4], seq);
      t[12] = 5 << 4;
      t[13] = flags;
    }
    b.insert(b.end(), t.begin(), t.end());
    b.insert(b.end(), data.begin(), data.end());
    store_be16(&b[2], uint16_t(b.size()));
    return b;
  };
  KeyStore keys;
  Decoder d(keys, {});
  Collect sink;
  Bytes syn = segment(40000, 4500, 99, 0x02, {});
  Bytes one = segment(40000, 4500, 100, 0x10, ByteView(stream).first(100));
  Bytes two = segment(40000, 4500, 200, 0x10, ByteView(stream).subspan(100));
  d.feed(frame_of(DLT_RAW, syn, 1), sink);
  d.feed(frame_of(DLT_RAW, two, 2), sink); // ahead of the first: waits
  CHECK(sink.ike.empty());
  d.feed(frame_of(DLT_RAW, one, 3), sink);
  REQUIRE(sink.ike.size() == 1);
  CHECK(sink.ike[0].frame == 3);
  CHECK(sink.ike[0].marker);
  CHECK(d.summary().tcp_segments == 3);
  CHECK(d.summary().other == 0);
  // A cut TCP header on the port is a malformed frame; TCP elsewhere is not our business.
  Bytes cut = segment(40000, 4500, 0, 0, {}, 12);
  d.feed(frame_of(DLT_RAW, cut, 4), sink);
  REQUIRE(sink.malformed.size() == 1);
  CHECK(sink.malformed[0].error.field == "tcp");
  Bytes web = segment(40000, 443, 0, 0, {}, 12);
  d.feed(frame_of(DLT_RAW, web, 5), sink);
  Bytes web_ok = segment(40000, 443, 0, 0x10, stream);
  d.feed(frame_of(DLT_RAW, web_ok, 6), sink);
  CHECK(d.summary().other == 2);
  CHECK(sink.ike.size() == 1);
  // --tcp-port adds a port.
  DecoderOptions opts;
  opts.tcp_ports.insert(443);
  Decoder d443(keys, opts);
  Collect sink443;
  d443.feed(frame_of(DLT_RAW, web_ok, 1), sink443);
  CHECK(sink443.ike.size() == 1);
}

TEST_CASE("decoder: a message that breaks the payload rules is reported as the engine would "
          "drop it (RFC 7296 1.2), and still decoded",
          "[decode][decoder]") {
  // IKE_SA_INIT request with a Nonce but no SA and no KE payload.
  Bytes ike(28 + 20, 0);
  ike[7] = 1;     // SPIi
  ike[16] = 40;   // next payload: Nonce
  ike[17] = 0x20; // version 2.0
  ike[18] = 34;   // IKE_SA_INIT
  ike[19] = 0x08; // initiator, request
  store_be32(&ike[24], uint32_t(ike.size()));
  store_be16(&ike[30], 20); // Nonce payload length: 4 + 16
  Bytes frame = raw_udp(500, 500, ike);
  KeyStore keys;
  Decoder d(keys, {});
  Collect sink;
  d.feed(frame_of(DLT_RAW, frame), sink);
  REQUIRE(sink.ike.size() == 1);
  CHECK(sink.ike[0].rules == RulesCheck::violated);
  REQUIRE(sink.ike[0].rules_error);
  CHECK(sink.ike[0].rules_error->field == "sa");
  CHECK(d.summary().payload_rule_violations == 1);
  CHECK(d.summary().malformed == 0);
}
