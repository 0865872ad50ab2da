// Fuzzes inbound ESP processing (RFC 4303 3.4) on one SA over many packets: the input
// is a program that seals packets at sequence numbers of its choosing (around the
// replay window's edges, across 2^32 with ESN, at the limit of the RFC 4303 A2.2
// inference), replays them, flips their bits and adds raw bytes, all opened by one
// inbound SA. An independent model (every authenticated sequence number in a set,
// the highest one, the window width, A2.2 restated as "the value congruent to the
// low half in [T-W+1, T-W+2^32]") predicts each outcome of a packet we sealed and
// bounds those of the others.
//
// Input:
//   config:u8   bit 0: AES-128-CBC + HMAC-SHA-256-128 instead of AES-128-GCM-16;
//               bit 1: ESN; bits 2-3: replay window 32, 64, 100 or 1024
//   start:u64   the window's highest number to begin with (0: a new SA); without ESN
//               taken mod 2^32. As if that packet had just been authenticated.
//   then at most 256 ops, each an opcode byte (mod 8) and its operands; a sealing op
//   has a shape byte: bits 0-5 payload length, bit 6 a dummy packet (Next Header 59),
//   bit 7 bad padding:
//     0 shape d:u8          seal at T + 1 + d          (T: highest authenticated)
//     1 shape d:u16         seal at T - d              (inside, on, left of the window)
//     2 shape k:u16         seal at the next multiple of 2^32 above T, + (int16)k
//     3 shape k:u16         seal at T + 2^32 - W + (int16)k (the A2.2 ambiguity limit)
//     4 shape s:u64         seal at s
//     5 i:u8                open again one of the last 16 sealed packets, byte for byte
//     6 i:u8 off:u16 x:u8   one of them with byte off XORed with x | 1
//     7 len:u16 bytes       raw bytes
//   Without ESN sequence numbers are taken mod 2^32; 0 is never sealed.
// Invariants: nothing crashes or reads out of bounds; no sequence number is
// authenticated twice; a sealed packet gets exactly the model's verdict and, if
// delivered, its own payload and Next Header; a modified packet is never
// authenticated; the window's highest number is the model's; every packet is
// counted exactly once.
#include "crypto/suite.hpp"
#include "esp/sa.hpp"
#include "fuzz_input.hpp"
#include "wire/ip.hpp"

#include <array>
#include <cstdint>
#include <optional>
#include <set>
#include <vector>

using namespace ikekit;
using namespace ikekit::esp;
using ikekit::fuzz::Input;

namespace {
constexpr uint32_t kSpi = 0x0f0e0d0c;
constexpr uint32_t kWindows[] = {32, 64, 100, 1024};

Bytes seq_bytes(size_t n, uint8_t first) {
  Bytes v(n);
  for (size_t i = 0; i < n; ++i)
    v[i] = uint8_t(first + i);
  return v;
}

SaParams sa_params(uint8_t config) {
  static const Bytes gcm_key = seq_bytes(20, 0x10); // key || salt
  static const Bytes cbc_key = seq_bytes(16, 0x30);
  static const Bytes hmac_key = seq_bytes(32, 0x50);
  SaParams p;
  p.spi = kSpi;
  p.esn = config & 2;
  p.replay_window = kWindows[(config >> 2) & 3];
  if (config & 1) {
    p.encr = crypto::find_keyword(crypto::TransformKind::encr, "aes128");
    p.encr_key = cbc_key;
    p.integ = crypto::find_keyword(crypto::TransformKind::integ, "sha256");
    p.integ_key = hmac_key;
  } else {
    p.encr = crypto::find_keyword(crypto::TransformKind::encr, "aes128gcm16");
    p.encr_key = gcm_key;
  }
  return p;
}

// The receiver as RFC 4303 3.4.3 and Appendix A2.2 describe it, kept apart from
// ReplayWindow's ring of blocks and its case analysis.
struct Model {
  bool esn;
  uint64_t w;     // window width
  uint64_t t = 0; // highest authenticated sequence number
  std::set<uint64_t> seen;

  // The full sequence number a packet with low half `lo` is taken to carry: the one
  // value congruent to lo (mod 2^32) in [T - W + 1, T - W + 2^32]; nullopt when that
  // value would be below 1 or above 2^64 - 1.
  std::optional<uint64_t> infer(uint32_t lo) const {
    if (!esn) return lo;
    if (t >= w - 1) {
      uint64_t bottom = t - (w - 1);
      uint64_t v = bottom + uint32_t(lo - uint32_t(bottom));
      if (v < bottom) return std::nullopt; // past 2^64 - 1
      return v;
    }
    uint32_t below = uint32_t(w - 1 - t); // the window reaches `below` under 0
    uint32_t offset = lo + below;         // from the window's bottom
    if (offset < below) return std::nullopt;
    return uint64_t(offset - below);
  }
  // The verdict before the ICV is checked (ok: goes on to the ICV).
  OpenStatus precheck(std::optional<uint64_t> v) const {
    if (!v || *v == 0) return OpenStatus::too_old;
    if (*v > t) return OpenStatus::ok;
    if (t - *v >= w) return OpenStatus::too_old;
    return seen.count(*v) ? OpenStatus::replay : OpenStatus::ok;
  }
  void authenticated(uint64_t v) {
    IKEKIT_FUZZ_CHECK(seen.insert(v).second); // never twice
    t = std::max(t, v);
  }
};

bool authentic(OpenStatus s) {
  return s == OpenStatus::ok || s == OpenStatus::dummy || s == OpenStatus::bad_padding;
}

struct SealedPacket {
  Bytes bytes;
  uint64_t seq = 0;
  uint8_t shape = 0;
  OpenStatus authentic_status = OpenStatus::ok; // what it gives once authenticated
};

Bytes payload_for(uint64_t seq, size_t len) {
  Bytes p(len);
  for (size_t i = 0; i < len; ++i)
    p[i] = uint8_t(seq >> (8 * (i % 8))) ^ uint8_t(i);
  return p;
}

uint8_t next_header_for(uint8_t shape) { return shape & 0x40 ? kNextHeaderNone : 4; }

// RFC 4303 2.4: wrong padding is seen only where there is padding; 2.6: dummy packets.
OpenStatus authentic_status(uint8_t shape, size_t padding) {
  if ((shape & 0x80) && padding > 0) return OpenStatus::bad_padding;
  if (shape & 0x40) return OpenStatus::dummy;
  return OpenStatus::ok;
}

class Program {
public:
  Program(uint8_t config, uint64_t start)
      : params_(sa_params(config)), in_(EspSaIn::create(params_)),
        out_(EspSaOut::create(params_, &rng_)), model_{params_.esn,
                                                       in_ ? in_->replay_window().size() : 0} {
    IKEKIT_FUZZ_CHECK(in_ && out_);
    if (!params_.esn) start = uint32_t(start);
    if (start == 0) return;
    in_->replay_window_for_test().commit(start);
    model_.authenticated(start);
  }

  void run(Input& in) {
    for (int ops = 0; ops < 256 && !in.empty(); ++ops)
      step(in);
    const OpenStats& st = in_->stats();
    uint64_t counted = st.packets + st.malformed + st.unknown_spi + st.replay + st.too_old +
                       st.bad_icv + st.bad_padding + st.dummy + st.crypto_error;
    IKEKIT_FUZZ_CHECK(counted == opened_); // every packet counted exactly once
  }

private:
  void step(Input& in) {
    const uint64_t t = model_.t;
    switch (in.u8() % 8) {
    case 0: {
      uint8_t shape = in.u8();
      seal_and_open(t + 1 + in.u8(), shape);
      break;
    }
    case 1: {
      uint8_t shape = in.u8();
      seal_and_open(t - in.u16(), shape);
      break;
    }
    case 2: {
      uint8_t shape = in.u8();
      seal_and_open(((t >> 32) + 1) * (uint64_t(1) << 32) + uint64_t(int64_t(int16_t(in.u16()))),
                    shape);
      break;
    }
    case 3: {
      uint8_t shape = in.u8();
      seal_and_open(t + (uint64_t(1) << 32) - model_.w + uint64_t(int64_t(int16_t(in.u16()))),
                    shape);
      break;
    }
    case 4: {
      uint8_t shape = in.u8();
      seal_and_open(in.u64(), shape);
      break;
    }
    case 5:
      if (const SealedPacket* p = recent(in.u8())) {
        Bytes copy = p->bytes;
        open_sealed(copy, *p);
      }
      break;
    case 6:
      if (const SealedPacket* p = recent(in.u8())) {
        Bytes copy = p->bytes;
        size_t off = in.u16() % copy.size();
        copy[off] ^= uint8_t(in.u8() | 1);
        OpenStatus s = open_other(copy);
        IKEKIT_FUZZ_CHECK(!authentic(s)); // RFC 4303 3.4.4: integrity covers every byte
      }
      break;
    default: {
      ByteView raw = in.chunk16();
      Bytes copy(raw.begin(), raw.end());
      wire::IpHeader ip;
      (void)wire::parse_ip(raw, ip);
      (void)tunnel_next_header(raw);
      open_other(copy);
      break;
    }
    }
    IKEKIT_FUZZ_CHECK(in_->replay_window().highest() == model_.t);
  }

  const SealedPacket* recent(uint8_t i) const {
    if (ring_count_ == 0) return nullptr;
    return &ring_[i % std::min<size_t>(ring_count_, ring_.size())];
  }

  void seal_and_open(uint64_t seq, uint8_t shape) {
    if (!params_.esn) seq = uint32_t(seq);
    if (seq == 0) return; // never sent (RFC 4303 3.3.3)
    size_t len = shape & 0x3f;
    const Overhead& o = out_->overhead();
    Bytes buf(o.header + len + o.max_trailer);
    Bytes payload = payload_for(seq, len);
    std::copy(payload.begin(), payload.end(), buf.begin() + long(o.header));
    out_->set_next_seq_for_test(seq);
    EspSaOut::TestOverrides overrides;
    overrides.bad_padding = shape & 0x80;
    Sealed sealed =
        out_->seal_in_place_for_test(buf, o.header, len, next_header_for(shape), overrides);
    IKEKIT_FUZZ_CHECK(sealed && sealed.seq == seq);
    SealedPacket& slot = ring_[ring_next_++ % ring_.size()];
    slot = SealedPacket{Bytes(sealed.packet.begin(), sealed.packet.end()), seq, shape,
                        authentic_status(shape, o.padding(len))};
    ring_count_ = std::min(ring_count_ + 1, ring_.size());
    Bytes copy = slot.bytes;
    open_sealed(copy, slot);
  }

  // A packet we sealed: the model knows the outcome.
  void open_sealed(MutBytes packet, const SealedPacket& p) {
    auto v = model_.infer(uint32_t(p.seq));
    OpenStatus want = model_.precheck(v);
    if (want == OpenStatus::ok) want = *v == p.seq ? p.authentic_status : OpenStatus::bad_icv;
    ++opened_;
    Opened got = in_->open_in_place(packet);
    IKEKIT_FUZZ_CHECK(got.status == want);
    if (authentic(got.status)) model_.authenticated(p.seq);
    if (got) {
      IKEKIT_FUZZ_CHECK(got.seq == p.seq);
      IKEKIT_FUZZ_CHECK(got.next_header == next_header_for(p.shape));
      IKEKIT_FUZZ_CHECK(equal_bytes(got.payload, payload_for(p.seq, p.shape & 0x3f)));
    }
  }

  // Any other bytes: only the window's verdicts are predictable.
  OpenStatus open_other(MutBytes packet) {
    std::optional<uint64_t> v;
    if (packet.size() >= 8) v = model_.infer(load_be32(packet.data() + 4));
    ++opened_;
    Opened got = in_->open_in_place(packet);
    if (got.status == OpenStatus::replay || got.status == OpenStatus::too_old)
      IKEKIT_FUZZ_CHECK(model_.precheck(v) == got.status);
    if (authentic(got.status)) {
      IKEKIT_FUZZ_CHECK(model_.precheck(v) == OpenStatus::ok);
      model_.authenticated(*v);
    }
    if (got) {
      IKEKIT_FUZZ_CHECK(got.seq == *v);
      // The payload is a view inside the packet, before the trailer and ICV.
      IKEKIT_FUZZ_CHECK(got.payload.data() >= packet.data() + in_->overhead().header);
      IKEKIT_FUZZ_CHECK(got.payload.data() + got.payload.size() + kEspTrailerLen <=
                        packet.data() + packet.size() - in_->overhead().icv);
    }
    return got.status;
  }

  SaParams params_;
  SeededRng rng_{7}; // CBC IVs
  Result<EspSaIn> in_;
  Result<EspSaOut> out_;
  Model model_;
  std::array<SealedPacket, 16> ring_;
  size_t ring_next_ = 0, ring_count_ = 0;
  uint64_t opened_ = 0;
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Input in(data, size);
  uint8_t config = in.u8();
  Program program(config, in.u64());
  program.run(in);
  return 0;
}
