// tcp-encap-capture OUTDIR - a test capture of an IKEv2 session carried over TCP (RFC 9329),
// for ike-decode and tshark (tests/decode/tcp_encap_decode.py). Test-only code.
//
// No peer we have speaks IKE over TCP (strongSwan 5.9 does not), so the session comes from
// two real engines in the engine tests' harness (tests/engine/sim.hpp: seeded Rng, virtual
// time): IKE_SA_INIT, IKE_AUTH, a Child SA rekey (CREATE_CHILD_SA, then INFORMATIONAL
// deleting the old SA), and ESP packets sealed by lib/esp with the negotiated keys before
// and after the rekey. The messages are then laid into one TCP connection per RFC 9329
// (10.0.0.1:40000 -> 10.0.0.2:4500, the initiator being the TCP originator):
//
//   SYN, SYN-ACK, ACK
//   originator: "IKETCP" | Length | 0x00000000 | IKE | Length | ESP | ...
//   responder:             Length | 0x00000000 | IKE | Length | ESP | ...
//   FIN, FIN, ACK
//
// Consecutive messages of one direction are cut into segments of varying size, so frames
// are split across segments (even inside the prefix and the non-ESP marker) and several
// frames share a segment; the responder's first two segments are sent in reverse order,
// one segment is retransmitted whole, one segment overlaps its predecessor, and the
// originator's sequence numbers wrap around 2^32.
//
// Writes OUTDIR/capture.pcap (that connection), OUTDIR/capture-udp.pcap (the same
// messages as UDP/4500 datagrams, one per frame: the twin the TCP capture must decode
// like), OUTDIR/keys.jsonl (the IKE SA's keys only: the ESP keys must be derived from SK_d
// with the nonces of the exchanges in the stream) and OUTDIR/expected.jsonl (per message,
// in order: the IKE header fields and outer payload types, or the ESP SPI, sequence
// number and inner packet as sealed).
#include "base/hex.hpp"
#include "crypto/suite.hpp"
#include "esp/sa.hpp"
#include "sim.hpp"
#include "wire/message.hpp"
#include "wire/tcp_encap.hpp"

#include "json/ike_events.hpp"
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <nlohmann/json.hpp>

using namespace ikekit;
using namespace ikekit::ike;
using namespace ikekit::ike::test;

namespace {

struct Message {
  bool from_initiator = false;
  bool esp = false;
  Bytes data; // the IKE message (no marker) or the ESP packet
  nlohmann::json expected;
};

[[noreturn]] void fail(const std::string& why) {
  std::cerr << "tcp-encap-capture: " << why << "\n";
  std::exit(1);
}

// ChildSaUp carries the Child SA's keys.
const ChildSaUp& child_keys(const Node& n, uint32_t spi_in) {
  for (const auto& e : n.events)
    if (const auto* c = std::get_if<ChildSaUp>(&e); c && c->spi_in == spi_in) return *c;
  fail("no keys for Child SA " + to_hex_u32(spi_in));
}

// An IPv4 ICMP echo request of 44 bytes, the inner packet of tunnel-mode ESP.
Bytes inner_ping(const IpAddress& src, const IpAddress& dst, uint16_t seq) {
  Bytes p(44, 0);
  p[0] = 0x45;
  store_be16(&p[2], uint16_t(p.size()));
  p[8] = 64;
  p[9] = 1; // ICMP
  std::copy(src.bytes().begin(), src.bytes().end(), p.begin() + 12);
  std::copy(dst.bytes().begin(), dst.bytes().end(), p.begin() + 16);
  p[20] = 8; // echo request
  store_be16(&p[26], seq);
  for (size_t i = 28; i < p.size(); ++i)
    p[i] = uint8_t(i);
  return p;
}

// Two ESP packets from `from` on its Child SA (spi_in), sealed with its outbound keys.
void seal_pings(const Node& from, const Node& to, uint32_t spi_in, std::vector<Message>& out) {
  const ChildSaUp& k = child_keys(from, spi_in);
  esp::SaParams params;
  params.spi = k.spi_out;
  params.encr = crypto::find_keyword(crypto::TransformKind::encr, k.encr);
  params.encr_key = k.encr_out.reveal();
  if (!k.integ.empty()) {
    params.integ = crypto::find_keyword(crypto::TransformKind::integ, k.integ);
    params.integ_key = k.integ_out.reveal();
  }
  auto sa = esp::EspSaOut::create(params, nullptr);
  if (!sa) fail("EspSaOut: " + sa.error().message);
  for (uint16_t i = 1; i <= 2; ++i) {
    Bytes inner = inner_ping(from.address, to.address, i);
    Bytes buf(256, 0);
    const size_t at = 64;
    std::copy(inner.begin(), inner.end(), buf.begin() + at);
    esp::Sealed sealed = sa->seal_in_place(buf, at, inner.size(), 4);
    if (!sealed) fail("seal: " + std::string(esp::seal_status_name(sealed.status)));
    Message m{from.name == "left", true, Bytes(sealed.packet.begin(), sealed.packet.end()), {}};
    m.expected = {{"kind", "esp"},
                  {"spi", to_hex_u32(k.spi_out)},
                  {"seq", sealed.seq},
                  {"inner",
                   {{"ip_version", 4},
                    {"src", from.address.to_string()},
                    {"dst", to.address.to_string()},
                    {"protocol", 1},
                    {"length", inner.size()}}}};
    out.push_back(std::move(m));
  }
}

nlohmann::json expect_ike(ByteView data) {
  auto msg = wire::parse_message(data);
  if (!msg) fail("own IKE message does not parse: " + msg.error().message);
  nlohmann::json payloads = nlohmann::json::array();
  for (const auto& p : msg->payloads)
    payloads.push_back(p.type);
  return {{"kind", "ike"},
          {"exchange_type", uint8_t(msg->header.exchange_type)},
          {"message_id", msg->header.message_id},
          {"initiator", msg->header.initiator()},
          {"response", msg->header.response()},
          {"payloads", payloads}};
}

// Runs the session and returns its messages in the order they were sent.
std::vector<Message> run_session(std::vector<nlohmann::json>& keylog) {
  auto l = config_with(psk_peer("home", "10.0.0.1", "10.0.0.2"));
  auto r = config_with(psk_peer("gw", "10.0.0.2", "10.0.0.1"));
  l.emit_keys = r.emit_keys = true;
  Pair p(l, r, 7);
  std::vector<Message> out;
  p.net.tap = [&](Bytes& data, const Transmit& t) {
    Message m{t.local.address == p.left->address, false, data, expect_ike(data)};
    out.push_back(std::move(m));
    return true;
  };
  p.initiate();
  if (!p.net.run_until([&] { return p.both_up(); })) fail("the handshake did not finish");
  const uint32_t l_in = p.left->all<ChildSaUp>()[0].spi_in;
  const uint32_t r_in = p.right->all<ChildSaUp>()[0].spi_in;
  seal_pings(*p.left, *p.right, l_in, out);
  seal_pings(*p.right, *p.left, r_in, out);
  const SaId sa = p.left->all<IkeSaUp>()[0].sa;
  if (!p.left->engine->rekey_child(sa, l_in, p.net.now)) fail("rekey_child refused");
  if (!p.net.run_until(
          [&] { return p.left->count<ChildSaDown>() == 1 && p.right->count<ChildSaDown>() == 1; }))
    fail("the Child SA rekey did not finish");
  seal_pings(*p.left, *p.right, p.left->all<ChildSaUp>()[1].spi_in, out);
  seal_pings(*p.right, *p.left, p.right->all<ChildSaUp>()[1].spi_in, out);
  for (const auto& e : p.left->events)
    if (const auto* k = std::get_if<SaKeys>(&e))
      for (auto& line : json::keylog_lines(*k))
        keylog.push_back(line);
  return out;
}

// ---- pcap (LINKTYPE_RAW: IPv4 packets) ----

uint16_t checksum(ByteView data, uint32_t sum = 0) {
  for (size_t i = 0; i + 1 < data.size(); i += 2)
    sum += load_be16(&data[i]);
  if (data.size() % 2) sum += uint32_t(data.back()) << 8;
  while (sum >> 16)
    sum = (sum & 0xffff) + (sum >> 16);
  return uint16_t(~sum);
}

class PcapWriter {
public:
  explicit PcapWriter(const std::string& path) : out_(path, std::ios::binary) {
    Bytes h(24, 0);
    store_le32(&h[0], 0xa1b2c3d4);
    h[4] = 2; // version 2.4, little-endian fields
    h[6] = 4;
    store_le32(&h[16], 65535);
    store_le32(&h[20], 101); // LINKTYPE_RAW
    write(h);
  }
  // An IPv4 packet 10.0.0.1 <-> 10.0.0.2 around `transport` (protocol 6 or 17).
  void packet(bool from_initiator, uint8_t protocol, Bytes transport) {
    Bytes ip(20 + transport.size(), 0);
    ip[0] = 0x45;
    store_be16(&ip[2], uint16_t(ip.size()));
    store_be16(&ip[4], uint16_t(++id_));
    ip[8] = 64;
    ip[9] = protocol;
    const uint8_t a[4] = {10, 0, 0, 1}, b[4] = {10, 0, 0, 2};
    std::copy(a, a + 4, ip.begin() + (from_initiator ? 12 : 16));
    std::copy(b, b + 4, ip.begin() + (from_initiator ? 16 : 12));
    store_be16(&ip[10], checksum(ByteView(ip).first(20)));
    // The transport checksum over the pseudo-header (RFC 9293 3.1, RFC 768).
    uint32_t pseudo = 0x0a00 + 0x0001 + 0x0a00 + 0x0002 + protocol + uint32_t(transport.size());
    const size_t at = protocol == 6 ? 16 : 6;
    store_be16(&transport[at], checksum(transport, pseudo));
    std::copy(transport.begin(), transport.end(), ip.begin() + 20);
    Bytes rec(16, 0);
    usec_ += 1000;
    store_le32(&rec[0], uint32_t(1767225600 + usec_ / 1000000));
    store_le32(&rec[4], uint32_t(usec_ % 1000000));
    store_le32(&rec[8], uint32_t(ip.size()));
    store_le32(&rec[12], uint32_t(ip.size()));
    write(rec);
    write(ip);
  }
  bool ok() const { return out_.good(); }

private:
  static void store_le32(uint8_t* p, uint32_t v) {
    for (int i = 0; i < 4; ++i)
      p[i] = uint8_t(v >> (8 * i));
  }
  void write(const Bytes& b) {
    out_.write(reinterpret_cast<const char*>(b.data()), std::streamsize(b.size()));
  }
  std::ofstream out_;
  uint32_t id_ = 0;
  uint64_t usec_ = 0;
};

// ---- the TCP connection ----

constexpr uint16_t kClientPort = 40000, kServerPort = 4500;
constexpr uint8_t kFin = 0x01, kSyn = 0x02, kPsh = 0x08, kAck = 0x10;

struct Direction {
  uint32_t isn;
  uint64_t sent = 0; // stream bytes sent (the next segment's offset)
  bool fin = false;  // its FIN was sent (it takes one sequence number)
};

class Connection {
public:
  explicit Connection(PcapWriter& pcap) : pcap_(pcap) {}
  // Stream offset `offset` of one direction, with `data`.
  void segment(bool from_client, uint8_t flags, uint64_t offset, ByteView data) {
    Direction& d = from_client ? client_ : server_;
    Direction& o = from_client ? server_ : client_;
    Bytes t(20 + data.size(), 0);
    store_be16(&t[0], from_client ? kClientPort : kServerPort);
    store_be16(&t[2], from_client ? kServerPort : kClientPort);
    store_be32(&t[4], uint32_t(d.isn + ((flags & kSyn) ? 0 : 1) + offset));
    if (flags & kAck) store_be32(&t[8], uint32_t(o.isn + 1 + o.sent + (o.fin ? 1 : 0)));
    t[12] = 5 << 4;
    t[13] = flags;
    store_be16(&t[14], 65535);
    std::copy(data.begin(), data.end(), t.begin() + 20);
    pcap_.packet(from_client, 6, std::move(t));
    if (flags & kFin) d.fin = true;
  }
  Direction client_{0xfffffc00}, server_{0x12345678};

private:
  PcapWriter& pcap_;
};

// Cuts one burst (consecutive frames of one direction) into segments and sends them.
// `burst` counts the bursts so far: the variations are tied to particular ones.
void send_burst(Connection& c, bool from_client, ByteView bytes, int burst) {
  static const size_t kCuts[] = {5, 7, 150, 90, 211, 37, 120};
  Direction& d = from_client ? c.client_ : c.server_;
  struct Seg {
    uint64_t offset;
    ByteView data;
  };
  std::vector<Seg> segs;
  size_t at = 0;
  for (size_t i = burst == 0 ? 0 : 2 + size_t(burst) % 5; at < bytes.size(); ++i) {
    // Burst 5 (the responder's first ESP packets): both frames in one segment.
    size_t n = burst == 5 ? bytes.size() : std::min(kCuts[i % std::size(kCuts)], bytes.size() - at);
    // Burst 4: the second segment starts 10 bytes early, overlapping the first.
    size_t back = (burst == 4 && segs.size() == 1) ? 10 : 0;
    segs.push_back({d.sent + at - back, bytes.subspan(at - back, n + back)});
    at += n;
  }
  // Burst 1 (the responder's IKE_SA_INIT): its first two segments arrive swapped.
  if (burst == 1 && segs.size() >= 2) std::swap(segs[0], segs[1]);
  for (const Seg& s : segs)
    c.segment(from_client, kAck | kPsh, s.offset, s.data);
  // Burst 2 (IKE_AUTH request): its first segment is sent again.
  if (burst == 2) c.segment(from_client, kAck | kPsh, segs[0].offset, segs[0].data);
  d.sent += bytes.size();
  c.segment(!from_client, kAck, (from_client ? c.server_ : c.client_).sent, {});
}

void write_tcp_capture(const std::string& path, const std::vector<Message>& msgs) {
  PcapWriter pcap(path);
  Connection c(pcap);
  c.segment(true, kSyn, 0, {});
  c.segment(false, kSyn | kAck, 0, {});
  c.segment(true, kAck, 0, {});
  int burst = 0;
  for (size_t i = 0; i < msgs.size();) {
    const bool from_client = msgs[i].from_initiator;
    Bytes bytes(70000);
    wire::TcpEncapWriter w(bytes);
    if (burst == 0 && !w.prefix()) fail("prefix");
    for (; i < msgs.size() && msgs[i].from_initiator == from_client; ++i)
      if (!(msgs[i].esp ? w.esp(msgs[i].data) : w.ike(msgs[i].data))) fail("frame too big");
    bytes.resize(w.size());
    send_burst(c, from_client, bytes, burst++);
  }
  c.segment(true, kFin | kAck, c.client_.sent, {});
  c.segment(false, kFin | kAck, c.server_.sent, {});
  c.segment(true, kAck, c.client_.sent + 1, {});
  if (!pcap.ok()) fail(path + ": cannot write");
}

void write_udp_capture(const std::string& path, const std::vector<Message>& msgs) {
  PcapWriter pcap(path);
  for (const Message& m : msgs) {
    Bytes u(8 + (m.esp ? 0 : wire::kNonEspMarkerSize) + m.data.size(), 0);
    store_be16(&u[0], 4500);
    store_be16(&u[2], 4500);
    store_be16(&u[4], uint16_t(u.size()));
    std::copy(m.data.begin(), m.data.end(), u.end() - long(m.data.size()));
    pcap.packet(m.from_initiator, 17, std::move(u));
  }
  if (!pcap.ok()) fail(path + ": cannot write");
}

} // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: tcp-encap-capture OUTDIR\n";
    return 2;
  }
  const std::string dir = argv[1];
  std::vector<nlohmann::json> keylog;
  std::vector<Message> msgs = run_session(keylog);
  write_tcp_capture(dir + "/capture.pcap", msgs);
  write_udp_capture(dir + "/capture-udp.pcap", msgs);
  std::ofstream keys(dir + "/keys.jsonl"), expected(dir + "/expected.jsonl");
  for (const auto& line : keylog)
    keys << line.dump() << "\n";
  for (const Message& m : msgs)
    expected << m.expected.dump() << "\n";
  if (!keys.good() || !expected.good()) fail(dir + ": cannot write");
  std::cout << msgs.size() << " messages\n";
  return 0;
}
