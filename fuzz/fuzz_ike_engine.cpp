// Stateful fuzz target for the IKE engine: a responder (and the initiator talking to it)
// driven by an op stream from the input. Arbitrary datagrams, mutated copies of real
// messages, time jumps and local actions (rekey, DPD, delete) interleave with the real
// exchanges. The engines must never crash, whatever arrives; bad input is only counted.
//
// Input: a sequence of ops, each one opcode byte followed by its operands:
//   0 len:u8 data[len]      raw datagram to the responder (port 500)
//   1 len:u8 data[len]      raw datagram to the initiator
//   2 off:u8 len:u8 x[len]  next datagram the initiator sends, XORed with x at off, to the
//   responder 3 secs:u8               advance time and fire timers on both 4 deliver everything in
//   flight both ways (the real exchanges) 5 what:u8               a local action on the first IKE
//   SA (rekey child/IKE, DPD, delete, new child) 6 len:u8 data[len]      raw datagram to the
//   responder on the NAT-T port (marker stripped)
#include "base/rng.hpp"
#include "ike/engine.hpp"

#include <cstddef>
#include <cstdint>
#include <vector>

using namespace ikekit;
using namespace ikekit::ike;
using namespace std::chrono_literals;

namespace {

PeerConfig peer(std::string_view local, std::string_view remote) {
  PeerConfig p;
  p.name = "fuzz";
  p.local = Endpoint{*IpAddress::parse(local), 500};
  p.remote_address = *IpAddress::parse(remote);
  p.ike_proposals = *parse_ike_proposals("aes128-sha256-x25519,aes256gcm16-prfsha256-x25519");
  p.child.esp_proposals = *parse_esp_proposals("aes128gcm16,aes128-sha256-esn");
  p.local_id = *Identity::parse(local);
  p.remote_id = *Identity::parse(remote);
  p.psk = SecretBytes(as_bytes("fuzz-psk"));
  p.fragment_size = 300;
  p.dpd_delay = 20s;
  return p;
}

struct Harness {
  SeededRng rng_i{1}, rng_r{2};
  TimePoint now{std::chrono::hours(1)};
  Engine init, resp;
  std::vector<Transmit> to_resp_meta, to_init_meta;
  std::vector<Bytes> to_resp, to_init;
  Bytes buf = Bytes(65535);

  static Config cfg(PeerConfig p) {
    Config c;
    c.peers.push_back(std::move(p));
    c.retransmit_timeout = 1s;
    c.retransmit_tries = 2;
    c.cookie_threshold = 2;
    return c;
  }
  Harness()
      : init(cfg(peer("10.0.0.1", "10.0.0.2")), rng_i, now),
        resp(cfg(peer("10.0.0.2", "10.0.0.1")), rng_r, now) {}

  void drain() {
    while (auto t = init.poll_transmit(buf)) {
      to_resp.emplace_back(buf.begin(), buf.begin() + long(t->size));
      to_resp_meta.push_back(*t);
    }
    while (auto t = resp.poll_transmit(buf)) {
      to_init.emplace_back(buf.begin(), buf.begin() + long(t->size));
      to_init_meta.push_back(*t);
    }
    while (init.poll_event()) {
    }
    while (resp.poll_event()) {
    }
  }
  void deliver(Engine& e, const Transmit& t, ByteView data) {
    e.receive(Datagram{t.remote, t.local, t.nat_t, data}, now);
  }
  void pump() {
    for (int round = 0; round < 8; ++round) {
      drain();
      if (to_resp.empty() && to_init.empty()) return;
      auto a = std::move(to_resp);
      auto am = std::move(to_resp_meta);
      auto b = std::move(to_init);
      auto bm = std::move(to_init_meta);
      to_resp.clear();
      to_resp_meta.clear();
      to_init.clear();
      to_init_meta.clear();
      for (size_t i = 0; i < a.size(); ++i)
        deliver(resp, am[i], a[i]);
      for (size_t i = 0; i < b.size(); ++i)
        deliver(init, bm[i], b[i]);
    }
  }
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Harness h;
  (void)h.init.initiate("fuzz", h.now);
  size_t pos = 0;
  auto u8 = [&]() -> int { return pos < size ? data[pos++] : -1; };
  auto take = [&](size_t n) {
    n = std::min(n, size - pos);
    ByteView v(data + pos, n);
    pos += n;
    return v;
  };
  const Endpoint r500{*IpAddress::parse("10.0.0.2"), 500}, i500{*IpAddress::parse("10.0.0.1"), 500};
  const Endpoint r4500{*IpAddress::parse("10.0.0.2"), 4500},
      i4500{*IpAddress::parse("10.0.0.1"), 4500};
  for (int ops = 0; ops < 256; ++ops) {
    int op = u8();
    if (op < 0) break;
    switch (op % 7) {
    case 0:
    case 1:
    case 6: {
      int len = u8();
      if (len < 0) break;
      ByteView v = take(size_t(len));
      Bytes d(v.begin(), v.end());
      if (op % 7 == 1)
        h.init.receive(Datagram{i500, r500, false, d}, h.now);
      else if (op % 7 == 6)
        h.resp.receive(Datagram{r4500, i4500, true, d}, h.now);
      else
        h.resp.receive(Datagram{r500, i500, false, d}, h.now);
      break;
    }
    case 2: {
      int off = u8(), len = u8();
      if (off < 0 || len < 0) break;
      ByteView x = take(size_t(len));
      h.drain();
      if (h.to_resp.empty()) break;
      Bytes d = h.to_resp.front();
      Transmit t = h.to_resp_meta.front();
      for (size_t i = 0; i < x.size() && size_t(off) + i < d.size(); ++i)
        d[size_t(off) + i] ^= x[i];
      h.deliver(h.resp, t, d);
      break;
    }
    case 3: {
      int s = u8();
      if (s < 0) break;
      h.now += std::chrono::seconds(s);
      h.init.on_timeout(h.now);
      h.resp.on_timeout(h.now);
      break;
    }
    case 4:
      h.pump();
      break;
    case 5: {
      int what = u8();
      if (what < 0) break;
      auto sas = h.init.list_sas();
      if (sas.empty()) break;
      SaId id = sas[0].sa;
      uint32_t spi = sas[0].children.empty() ? 0 : sas[0].children[0].spi_in;
      switch (what % 6) {
      case 0:
        (void)h.init.rekey_child(id, spi, h.now);
        break;
      case 1:
        (void)h.init.rekey_ike(id, h.now);
        break;
      case 2:
        (void)h.init.send_dpd(id, h.now);
        break;
      case 3:
        (void)h.init.terminate_child(id, spi, h.now);
        break;
      case 4:
        (void)h.init.create_child(id, h.init.config().peers[0].child, h.now);
        break;
      default:
        (void)h.init.terminate(id, h.now);
        break;
      }
      break;
    }
    }
    h.drain();
  }
  h.pump();
  return 0;
}
