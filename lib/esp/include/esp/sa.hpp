// One ESP security association direction, sans-I/O (DESIGN 1): EspSaOut seals a
// payload in place into an ESP packet, EspSaIn opens one in place. Nothing here
// allocates per packet, copies a payload, reads a clock or prints; the crypto
// contexts (crypto::Aead, or crypto::Cipher + crypto::Integ) are created once per SA.
// (One exception below this layer: crypto::Aead::open / Integ::verify return an Error,
// which allocates its message, when a tag fails — i.e. only for forged or corrupt packets.)
// Not thread-safe: one SA direction is driven by one thread at a time.
//
// RFC 4303 (ESP), RFC 4106 (AES-GCM), RFC 7634 (ChaCha20-Poly1305), RFC 3602
// (AES-CBC), RFC 3686 (AES-CTR), RFC 4868 (HMAC-SHA2 truncated).
//
// Per-packet outcomes are small status enums rather than Result<>: a refused seal or
// a dropped packet is not an error of the library (DESIGN 3: "a dropped input" is a
// counter by reason), and building an Error would cost an allocation per packet.
#pragma once

#include "base/bytes.hpp"
#include "base/result.hpp"
#include "base/rng.hpp"
#include "crypto/suite.hpp"
#include "esp/layout.hpp"
#include "esp/replay_window.hpp"
#include "esp/sa_crypto.hpp"

#include <cstdint>
#include <optional>
#include <string_view>

namespace ikekit::esp {

// Everything an SA direction is created from (the CHILD_SA's negotiated transforms
// and its KEYMAT slices, RFC 7296 2.17). Keys are copied into the crypto contexts;
// the views need not outlive create().
struct SaParams {
  uint32_t spi = 0;
  const crypto::TransformInfo* encr = nullptr;         // ENCR transform (AEAD, AES-CBC or AES-CTR)
  ByteView encr_key;                                   // encr->key_len + encr->salt_len bytes:
                                                       // key || salt (AEAD), key || nonce (CTR)
  const crypto::TransformInfo* integ = nullptr;        // INTEG transform; must be null for AEAD
  ByteView integ_key;                                  // integ->key_len bytes
  bool esn = false;                                    // RFC 4303 2.2.1 extended sequence numbers
  uint32_t replay_window = ReplayWindow::kDefaultSize; // inbound only
  // Outbound only: once a packet with this sequence number or higher is sealed,
  // Sealed::soft_limit is set so the caller starts a rekey (RFC 7296 2.8) before
  // the hard end of the sequence space. 0 picks 7/8 of the space.
  uint64_t soft_limit_seq = 0;
  // Outbound only: the sequence number of the first packet (RFC 4303 3.3.2: 1 for a new
  // SA). A caller that resumes an SA whose earlier numbers may have been sent (esp-tunnel
  // after a restart) starts past them, so no counter IV repeats under the key.
  uint64_t first_seq = 1;
};

// ---------------------------------------------------------------- outbound

enum class SealStatus : uint8_t {
  ok,
  sa_exhausted, // the sequence number would cycle (RFC 4303 3.3.3): rekey, never wrap
  no_room,      // headroom or tailroom too small for this suite's framing
  crypto_error, // the crypto library refused the operation
};
std::string_view seal_status_name(SealStatus s);

struct Sealed {
  SealStatus status = SealStatus::ok;
  MutBytes packet;         // ESP header .. ICV, inside the caller's buffer
  uint64_t seq = 0;        // the full 64-bit sequence number the packet carries
  bool soft_limit = false; // at or past SaParams::soft_limit_seq: time to rekey
  explicit operator bool() const { return status == SealStatus::ok; }
};

struct SealStats {
  uint64_t packets = 0; // sealed
  uint64_t bytes = 0;   // payload bytes sealed (RFC 4301 4.4.2.1 byte lifetime)
  uint64_t sa_exhausted = 0;
  uint64_t no_room = 0;
  uint64_t crypto_error = 0;

  SealStats& operator+=(const SealStats& o) {
    packets += o.packets;
    bytes += o.bytes;
    sa_exhausted += o.sa_exhausted;
    no_room += o.no_room;
    crypto_error += o.crypto_error;
    return *this;
  }
};

class EspSaOut {
public:
  // rng: draws the random IVs AES-CBC needs (RFC 3602 2.1: unpredictable IVs); it must
  // outlive the SA. AEAD and AES-CTR suites use the sequence number as IV (RFC 4106
  // 3.1, RFC 7634 2, RFC 3686 3: unique per key is all that is required) and may pass null.
  static Result<EspSaOut> create(const SaParams& params, Rng* rng);

  uint32_t spi() const { return spi_; }
  bool esn() const { return esn_; }
  const Overhead& overhead() const { return overhead_; }
  // The sequence number the next sealed packet will carry (1 for a new SA).
  uint64_t next_seq() const { return next_seq_; }
  // 2^32 - 1 without ESN, 2^64 - 1 with: the last number that may be sent.
  uint64_t max_seq() const { return max_seq_; }
  bool exhausted() const { return exhausted_; }
  const SealStats& stats() const { return stats_; }

  // Seals buffer[payload_offset, payload_offset + payload_len) in place (RFC 4303 3.3):
  // writes the ESP header and IV into the overhead().header bytes before the payload,
  // padding (1, 2, 3, ...), Pad Length, Next Header and the ICV after it, and encrypts
  // payload..Next Header in place. The buffer needs payload_offset >= overhead().header
  // and overhead().trailer(payload_len) bytes after the payload.
  //   AEAD AAD (RFC 4106 5, RFC 7634 2.1): SPI || seq (8 bytes), SPI || seq_hi || seq_lo with ESN.
  //   CBC/CTR ICV (RFC 4303 2.8, 3.3.4): over ESP header .. Next Header, || seq_hi with ESN.
  Sealed seal_in_place(MutBytes buffer, size_t payload_offset, size_t payload_len,
                       uint8_t next_header);

  // ---- testing hooks: known-answer tests and fault injection, never production ----
  struct TestOverrides {
    ByteView iv;              // use this explicit IV instead of the SA's choice
    bool bad_padding = false; // write padding 2, 3, 4, ... instead of 1, 2, 3, ...
  };
  void set_next_seq_for_test(uint64_t seq) {
    next_seq_ = seq;
    exhausted_ = seq > max_seq_ || seq == 0;
  }
  Sealed seal_in_place_for_test(MutBytes buffer, size_t payload_offset, size_t payload_len,
                                uint8_t next_header, const TestOverrides& overrides);

private:
  EspSaOut() = default;
  Sealed seal(MutBytes buffer, size_t payload_offset, size_t payload_len, uint8_t next_header,
              const TestOverrides* overrides);

  SaCrypto crypto_;
  Rng* rng_ = nullptr;
  Overhead overhead_;
  uint32_t spi_ = 0;
  bool esn_ = false;
  bool random_iv_ = false;
  bool exhausted_ = false;
  uint64_t next_seq_ = 1;
  uint64_t max_seq_ = 0;
  uint64_t soft_limit_seq_ = 0;
  SealStats stats_;
};

// ---------------------------------------------------------------- inbound

enum class OpenStatus : uint8_t {
  ok,
  malformed,    // shorter than header + trailer + ICV, or not whole cipher blocks
  unknown_spi,  // no SA for this SPI (EspSaDb), or not this SA's SPI
  replay,       // inside the window and already received (RFC 4303 3.4.3)
  too_old,      // left of the window
  bad_icv,      // integrity check failed (RFC 4303 3.4.4)
  bad_padding,  // Pad Length too large or padding not 1, 2, 3, ... (RFC 4303 2.4)
  dummy,        // Next Header 59: a dummy packet, discarded (RFC 4303 2.6)
  crypto_error, // the crypto library refused the operation
};
std::string_view open_status_name(OpenStatus s);

struct Opened {
  OpenStatus status = OpenStatus::ok;
  MutBytes payload;        // the inner packet (tunnel) or transport payload, in place
  uint8_t next_header = 0; // 4 / 41 in tunnel mode, the upper protocol in transport mode
  uint64_t seq = 0;        // full 64-bit sequence number (inferred high half with ESN)
  explicit operator bool() const { return status == OpenStatus::ok; }
};

// Drops by reason (DESIGN 3) and what was delivered.
struct OpenStats {
  uint64_t packets = 0; // delivered
  uint64_t bytes = 0;   // payload bytes delivered
  uint64_t malformed = 0;
  uint64_t unknown_spi = 0;
  uint64_t replay = 0;
  uint64_t too_old = 0;
  uint64_t bad_icv = 0;
  uint64_t bad_padding = 0;
  uint64_t dummy = 0;
  uint64_t crypto_error = 0;

  OpenStats& operator+=(const OpenStats& o) {
    packets += o.packets;
    bytes += o.bytes;
    malformed += o.malformed;
    unknown_spi += o.unknown_spi;
    replay += o.replay;
    too_old += o.too_old;
    bad_icv += o.bad_icv;
    bad_padding += o.bad_padding;
    dummy += o.dummy;
    crypto_error += o.crypto_error;
    return *this;
  }
};

class EspSaIn {
public:
  static Result<EspSaIn> create(const SaParams& params);

  uint32_t spi() const { return spi_; }
  bool esn() const { return esn_; }
  const Overhead& overhead() const { return overhead_; }
  const ReplayWindow& replay_window() const { return window_; }
  const OpenStats& stats() const { return stats_; }

  // Opens one ESP packet (SPI .. ICV) in place (RFC 4303 3.4): sequence number
  // (with ESN, the high half inferred per Appendix A2.2), replay check, ICV
  // verification and decryption, window update only after the ICV verified,
  // then the trailer. On any status but ok the packet is dropped and counted,
  // and the buffer's content is unspecified.
  Opened open_in_place(MutBytes esp_packet);

  // ---- testing hook: place the window (e.g. just before a known-answer packet) ----
  ReplayWindow& replay_window_for_test() { return window_; }

private:
  explicit EspSaIn(ReplayWindow window) : window_(std::move(window)) {}
  Opened drop(OpenStatus s);

  SaCrypto crypto_;
  Overhead overhead_;
  uint32_t spi_ = 0;
  bool esn_ = false;
  ReplayWindow window_;
  OpenStats stats_;
};

} // namespace ikekit::esp
