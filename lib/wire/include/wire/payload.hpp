// The generic payload header and payload chains, RFC 7296 3.2.
//
//                      1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// | Next Payload  |C|  RESERVED   |         Payload Length        |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// Payload Length includes the 4-byte generic header. A chain starts with the type named
// by the previous header's Next Payload (IKE header or SK payload) and ends with
// Next Payload 0 — or with an SK (46) / SKF (53) payload, which must be last and whose
// Next Payload names the first payload inside the encrypted body (RFC 7296 3.14,
// RFC 7383 2.5).
#pragma once

#include "base/bytes.hpp"
#include "base/result.hpp"
#include "wire/header.hpp"
#include "wire/ids.hpp"

#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <type_traits>
#include <vector>

namespace ikekit::wire {

struct SkPayload;
struct SkfPayload;

inline constexpr size_t kGenericHeaderSize = 4;
inline constexpr uint8_t kCriticalBit = 0x80;

// One payload as it sits in the datagram; body/whole are views into the input.
struct RawPayload {
  uint8_t type = 0;      // PayloadType value, possibly unknown
  uint8_t next_type = 0; // the Next Payload field; for SK/SKF: first inner payload type
  bool critical = false; // the C bit
  ByteView body;         // after the generic header
  ByteView whole;        // generic header + body
  size_t offset = 0;     // of the generic header, from the start of the message (or chain base)

  PayloadType payload_type() const { return PayloadType(type); }
  bool is_known() const { return is_known_payload_type(type); }
  // SK or SKF: the body is encrypted and this payload is the last of its chain.
  bool is_encrypted() const {
    return type == uint8_t(PayloadType::sk) || type == uint8_t(PayloadType::skf);
  }
};

struct ChainOptions {
  // RFC 7296 2.5: an unrecognised payload with the C bit fails the message
  // (Errc::unsupported, field "payload[i].critical"; the engine answers
  // UNSUPPORTED_CRITICAL_PAYLOAD). With false such payloads are returned as raw
  // and first_unsupported_critical() finds them.
  bool reject_unknown_critical = true;
};

// Walks a chain without allocating. Errors name "payload[i].<field>" with i counted
// from 0 within this chain:
//   truncated  "payload[i].next_payload" / ".flags" / ".length": fewer than 4 header bytes,
//              or the Payload Length runs past the end of the data;
//   bad_length "payload[i].length": Payload Length < 4;
//   bad_length "payload[i]": bytes left after the last payload (Next Payload 0 or SK/SKF);
//   unsupported "payload[i].critical": see ChainOptions.
class PayloadCursor {
public:
  PayloadCursor(ByteView chain, uint8_t first_type, size_t base_offset = 0,
                ChainOptions options = {})
      : data_(chain), next_type_(first_type), base_(base_offset), options_(options) {}

  // true: `out` holds the next payload; false: the chain ended cleanly.
  Result<bool> next(RawPayload& out);
  size_t index() const { return index_; }

private:
  ByteView data_;
  size_t pos_ = 0;
  uint8_t next_type_;
  size_t base_;
  ChainOptions options_;
  size_t index_ = 0;
  bool done_ = false;
};

// The whole chain as a vector (at most chain.size()/4 entries).
Result<std::vector<RawPayload>> parse_payload_chain(ByteView chain, uint8_t first_type,
                                                    size_t base_offset = 0,
                                                    ChainOptions options = {});

// The type of the first payload that is critical but not recognised, if any.
std::optional<uint8_t> first_unsupported_critical(std::span<const RawPayload> payloads);

// The types in order, e.g. for check_payload_rules().
std::vector<PayloadType> payload_types(std::span<const RawPayload> payloads);

// Writes a chain of payloads: generic headers with correct Next Payload linking and
// Payload Length. Bodies are written by the payload files' write_body() overloads:
//
//   PayloadWriter w(out);
//   w.add(PayloadType::n, NotifyPayload{...});
//   w.add(PayloadType::idi, IdPayload{...});
//   auto n = w.finish();               // bytes written
//   PayloadType first = w.first_type(); // what the SK payload's Next Payload must say
class PayloadWriter {
public:
  static constexpr size_t npos = std::numeric_limits<size_t>::max();

  explicit PayloadWriter(MutBytes out) : w_(out) {}

  // Starts a payload: links it from the previous Next Payload field and writes its generic
  // header with a length placeholder. Returns the offset of the generic header.
  size_t begin(PayloadType type, bool critical = false);
  // Starts an SK or SKF payload, which must be last: its Next Payload is `first_inner`.
  // The caller then writes the body (for SKF: fragment number and total first) through
  // writer(), e.g. writer().skip(iv + ciphertext + icv) and fills it in after finish().
  size_t begin_encrypted(PayloadType sk_or_skf, PayloadType first_inner);
  // Closes the current payload (patches its Payload Length).
  void end();

  template <typename P> size_t add(PayloadType type, const P& payload, bool critical = false) {
    static_assert(!std::is_same_v<P, SkPayload> && !std::is_same_v<P, SkfPayload>,
                  "SK/SKF name the first inner payload: use add(PayloadWriter&, const SkPayload&)");
    size_t at = begin(type, critical);
    write_body(w_, payload);
    end();
    return at;
  }
  size_t add_raw(PayloadType type, ByteView body, bool critical = false);

  Writer& writer() { return w_; }
  PayloadType first_type() const { return first_type_; }
  size_t size() const { return w_.size(); }
  // Bytes written, or why not (buffer too small "payloads", payload over 65535 bytes
  // "payload[i].length", payload after SK "payload[i]").
  Result<size_t> finish();

protected:
  PayloadWriter(MutBytes out, size_t link_offset) : w_(out), link_(link_offset) {}

  Writer w_;
  size_t link_ = npos; // offset of the Next Payload byte the next payload type goes to
  size_t open_ = npos; // offset of the open payload's generic header
  size_t count_ = 0;
  bool sealed_ = false; // an SK/SKF payload was begun; nothing may follow
  PayloadType first_type_ = PayloadType::none;
  Error error_;
  bool failed_ = false;
};

} // namespace ikekit::wire
