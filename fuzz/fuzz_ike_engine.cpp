// Stateful fuzz target for the IKE engine: an initiator and a responder on the engine
// tests' simulated network (lib/sim via tests/engine/sim.hpp), driven by an op stream from the
// input. Arbitrary datagrams, mutated copies of real messages, time jumps, local
// actions (rekey, DPD, delete) and, once the IKE SA exists, messages the fuzzer seals
// itself with the SA's keys (so attacker-chosen plaintext reaches the payload parsers
// behind the integrity check) interleave with the real exchanges. The engines must never
// crash, whatever arrives; bad input is only counted.
//
// Input: one setup byte, then ops, each an opcode byte and its operands (u16 big-endian):
//   setup   bit 0: the initiator uses the certificate connection (else PSK);
//           bit 1: cookies forced; bit 2: small fragment size (RFC 7383 on every message)
//   0 len:u16 data[len]     raw datagram to the responder (port 500)
//   1 len:u16 data[len]     raw datagram to the initiator
//   2 off:u16 len:u8 x[len] the next datagram in flight, XORed with x at off
//   3 secs:u8               advance time and fire timers
//   4                       deliver everything in flight (the real exchanges), 2 s
//   5 what:u8               a local action on the initiator's first IKE SA
//   6 len:u16 data[len]     raw datagram to the responder on the NAT-T port
//   7 ex:u8 next:u8 mid:u8 flags:u8 len:u16 data[len]
//                           HDR, SK{data} sealed with the newest IKE SA keys: flags bit 0
//                           from the responder to the initiator (else the other way),
//                           bit 1 response flag; ex 0..3 = IKE_SA_INIT..INFORMATIONAL
//   8 ex:u8 next:u8 mid:u8 num:u8 total:u8 len:u16 data[len]
//                           HDR, SKF{data} from the initiator to the responder
#include "../tests/engine/craft.hpp"
#include "../tests/engine/pki.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>

using namespace ikekit;
using namespace ikekit::ike;
using namespace ikekit::ike::test;

namespace {

struct Input {
  const uint8_t* data;
  size_t size, pos = 0;
  int u8() { return pos < size ? data[pos++] : -1; }
  int u16() {
    int hi = u8(), lo = u8();
    return hi < 0 || lo < 0 ? -1 : hi << 8 | lo;
  }
  ByteView take(size_t n) {
    n = std::min(n, size - pos);
    ByteView v(data + pos, n);
    pos += n;
    return v;
  }
};

// The responder accepts both connections; the initiator uses the one `setup` picks.
struct Setup {
  Config init, resp;
};

Setup load_setup(int setup, TimePoint now) {
  PeerConfig psk_i =
      psk_peer("psk", "10.0.0.1", "10.0.0.2", "aes128-sha256-x25519,aes256gcm16-prfsha256-x25519",
               "aes128gcm16,aes128-sha256-esn");
  PeerConfig psk_r =
      psk_peer("psk", "10.0.0.2", "10.0.0.1", "aes128-sha256-x25519,aes256gcm16-prfsha256-x25519",
               "aes128gcm16,aes128-sha256-esn");
  PeerConfig cert_i = cert_peer("cert", "10.0.0.1", "10.0.0.2", "moon.ikekit.test", {"ee-rsa.crt"},
                                "ee-rsa.key", "ca-p256.crt");
  PeerConfig cert_r = cert_peer("cert", "10.0.0.2", "10.0.0.1", "sun.ikekit.test", {"ee-p256.crt"},
                                "ee-p256.key", "ca-rsa.crt");
  cert_i.require_server_eku = false;
  Setup s;
  s.init.peers.push_back(setup & 1 ? cert_i : psk_i);
  s.resp.peers = {psk_r, cert_r};
  for (Config* c : {&s.init, &s.resp}) {
    for (auto& p : c->peers) {
      p.fragment_size = setup & 4 ? 300 : 1280;
      p.dpd_delay = 20s;
    }
    c->retransmit_timeout = 1s;
    c->retransmit_tries = 2;
    c->cookie_threshold = 2;
    c->force_cookies = setup & 2;
    c->emit_keys = true;
    c->wall_clock_offset = offset_for(now, "ee-rsa.crt");
  }
  return s;
}

// Certificates and keys are read once per process, not per input.
const Setup& setup_for(int setup, TimePoint now) {
  static std::optional<Setup> cache[8];
  auto& s = cache[setup & 7];
  if (!s) s = load_setup(setup & 7, now);
  return *s;
}

// The newest IKE SA keys either side reported (both report the same SA).
const IkeSaKeys* newest_keys(const Node& n) {
  const IkeSaKeys* k = nullptr;
  for (const auto& e : n.events)
    if (const auto* s = std::get_if<SaKeys>(&e)) k = &s->keys;
  return k;
}

constexpr wire::ExchangeType kExchanges[] = {
    wire::ExchangeType::ike_sa_init, wire::ExchangeType::ike_auth,
    wire::ExchangeType::create_child_sa, wire::ExchangeType::informational};

struct Fuzz {
  Net net;
  Node* init;
  Node* resp;
  SeededRng seal_rng{3};

  explicit Fuzz(int setup) {
    const Setup& s = setup_for(setup, net.now);
    init = &net.add("init", "10.0.0.1", s.init, 1);
    resp = &net.add("resp", "10.0.0.2", s.resp, 2);
  }

  void raw(Node& to, const Node& from, uint16_t port, ByteView data) {
    Bytes d(data.begin(), data.end());
    to.engine->receive(
        Datagram{Endpoint{from.address, port}, Endpoint{to.address, port}, port == 4500, d},
        net.now);
  }

  void mutate_next(Input& in) {
    int off = in.u16(), len = in.u8();
    if (off < 0 || len < 0) return;
    ByteView x = in.take(size_t(len));
    net.collect_all();
    if (net.flight.empty()) return;
    Bytes& d = net.flight.front().data;
    for (size_t i = 0; i < x.size() && size_t(off) + i < d.size(); ++i)
      d[size_t(off) + i] ^= x[i];
  }

  void local_action(int what) {
    auto sas = init->engine->list_sas();
    if (sas.empty()) return;
    SaId id = sas[0].sa;
    uint32_t spi = sas[0].children.empty() ? 0 : sas[0].children[0].spi_in;
    Engine& e = *init->engine;
    switch (what % 6) {
    case 0:
      (void)e.rekey_child(id, spi, net.now);
      break;
    case 1:
      (void)e.rekey_ike(id, net.now);
      break;
    case 2:
      (void)e.send_dpd(id, net.now);
      break;
    case 3:
      (void)e.terminate_child(id, spi, net.now);
      break;
    case 4:
      (void)e.create_child(id, e.config().peers[0].child, net.now);
      break;
    default:
      (void)e.terminate(id, net.now);
      break;
    }
  }

  // Ops 7 and 8: a message sealed with the IKE SA's own keys.
  void sealed(Input& in, bool fragment) {
    int ex = in.u8(), next = in.u8(), mid = in.u8();
    int a = in.u8(), b = fragment ? in.u8() : 0, len = in.u16();
    if (ex < 0 || next < 0 || mid < 0 || a < 0 || b < 0 || len < 0) return;
    ByteView content = in.take(size_t(len));
    const IkeSaKeys* keys = newest_keys(*init);
    if (!keys) return;
    Sealed m;
    m.exchange = kExchanges[ex % 4];
    m.first_inner = uint8_t(next);
    m.message_id = uint32_t(mid);
    m.from_initiator = fragment || !(a & 1);
    m.response = !fragment && (a & 2);
    if (fragment) {
      m.fragment_number = uint16_t(a);
      m.fragment_total = uint16_t(b);
    }
    Bytes d = craft_sealed(*keys, m, content, seal_rng);
    if (d.empty()) return;
    if (m.from_initiator)
      raw(*resp, *init, 500, d);
    else
      raw(*init, *resp, 500, d);
  }

  void op(int code, Input& in) {
    switch (code % 9) {
    case 0:
    case 1:
    case 6: {
      int len = in.u16();
      if (len < 0) return;
      ByteView d = in.take(size_t(len));
      if (code % 9 == 1)
        raw(*init, *resp, 500, d);
      else
        raw(*resp, *init, code % 9 == 6 ? 4500 : 500, d);
      return;
    }
    case 2:
      mutate_next(in);
      return;
    case 3: {
      int s = in.u8();
      if (s < 0) return;
      net.now += std::chrono::seconds(s);
      for (Node* n : {init, resp})
        if (auto t = n->engine->next_timeout(); t && *t <= net.now) n->engine->on_timeout(net.now);
      return;
    }
    case 4:
      net.run_for(2s);
      return;
    case 5: {
      int what = in.u8();
      if (what >= 0) local_action(what);
      return;
    }
    case 7:
      sealed(in, false);
      return;
    default:
      sealed(in, true);
      return;
    }
  }
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Input in{data, size};
  int setup = in.u8();
  if (setup < 0) return 0;
  Fuzz f(setup);
  (void)f.init->engine->initiate(f.init->engine->config().peers[0].name, f.net.now);
  for (int ops = 0; ops < 256; ++ops) {
    int code = in.u8();
    if (code < 0) break;
    f.op(code, in);
    f.net.collect_all();
  }
  f.net.run_for(5s);
  return 0;
}
