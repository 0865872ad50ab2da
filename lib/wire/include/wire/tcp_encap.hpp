// TCP encapsulation of IKE and ESP, RFC 9329 (obsoletes RFC 8229): a sans-I/O stream codec.
//
// RFC 9329 4: the TCP originator begins its byte stream with the six octets "IKETCP";
// the other direction has no prefix. Then, in both directions, frames (RFC 9329 3):
//
//   | Length (2 octets, counts itself) | 0x00000000 Non-ESP Marker | IKE header ... |  (3.1)
//   | Length (2 octets, counts itself) | ESP SPI (non-zero) | Sequence Number | ...   |  (3.2)
//
// A frame's body is exactly what RFC 3948 puts in a UDP/4500 datagram, so it is
// classified by classify_udp_encap(). A body of the single octet 0xFF is a NAT keepalive:
// RFC 9329 6.6 ("NAT-keepalive Packets") says it SHOULD NOT be sent over TCP and MUST be
// dropped silently when it comes, so the writer has no way to send one and the reader
// counts and swallows it.
//
// Errors: a frame whose length field is intact but whose body is malformed (too short
// for its kind, or over the reader's size limit) is dropped and counted; the framing
// stays in step. A wrong prefix or a length below 2 (the length cannot count its own
// field) leaves no way to find the next frame: the stream is broken, the reader closes
// and the connection must be closed (RFC 9329 6.1, Connection Establishment and Teardown: a stream
// that cannot be parsed is not resynchronised but closed).
#pragma once

#include "base/bytes.hpp"
#include "base/result.hpp"
#include "wire/udp_encap.hpp"

#include <array>
#include <cstdint>
#include <optional>

namespace ikekit::wire {

// RFC 9329 4: "IKETCP".
inline constexpr std::array<uint8_t, 6> kTcpEncapPrefix = {0x49, 0x4b, 0x45, 0x54, 0x43, 0x50};
inline constexpr size_t kTcpLengthSize = 2;
// Bytes in front of an IKE message / an ESP packet in a frame (the length field, and
// for IKE the non-ESP marker): the headroom an in-place writer leaves.
inline constexpr size_t kTcpIkeOverhead = kTcpLengthSize + kNonEspMarkerSize;
inline constexpr size_t kTcpEspOverhead = kTcpLengthSize;
inline constexpr size_t kTcpMaxFrame = 0xffff; // the 16-bit length, length field included

// Why the reader dropped a frame or broke off the stream.
enum class TcpDrop : uint8_t {
  short_frame, // length intact, body too short for an IKE header or ESP header (kept in step)
  oversize,    // length over the reader's limit: the body is skipped (kept in step)
  bad_prefix,  // the stream does not begin with "IKETCP" (stream closed)
  bad_length,  // a length field below 2 (stream closed)
};
inline constexpr size_t kTcpDropReasons = 4;
std::string_view tcp_drop_name(TcpDrop d);

struct TcpEncapStats {
  uint64_t ike = 0, esp = 0; // frames returned
  uint64_t keepalives = 0;   // NAT keepalives swallowed (RFC 9329 6.6)
  uint64_t dropped[kTcpDropReasons] = {};
  uint64_t bytes = 0; // stream bytes consumed, prefix included
};

// One frame as the reader returns it: IKE (the message after the marker) or ESP.
struct TcpFrame {
  UdpKind kind = UdpKind::ike; // ike or esp, never keepalive
  ByteView data;
};

// Reads one direction of a stream. Input comes in chunks of any size (a chunk boundary
// may fall anywhere, even inside the prefix or a length field); a frame that lies inside
// one chunk is returned as a view into that chunk, one that spans chunks is gathered in
// a buffer reserved once (kTcpMaxFrame bytes) and returned from there. Either view stays
// valid until the next call to next() or feed().
class TcpEncapReader {
public:
  // expect_prefix: this direction was sent by the TCP originator (RFC 9329 4).
  // max_frame: frames longer than this (length field included) are skipped as oversize.
  explicit TcpEncapReader(bool expect_prefix, size_t max_frame = kTcpMaxFrame);

  // Hands the reader the next chunk; the previous one must have been drained (next()
  // returned std::nullopt). The chunk must stay valid until then.
  void feed(ByteView chunk);
  // The next frame from the chunk; std::nullopt when more bytes are needed or the stream
  // is closed. An Error is a dropped frame (TcpDrop name in the field's message) or, once,
  // the error that closed the stream.
  std::optional<Result<TcpFrame>> next();

  bool closed() const { return closed_; }
  // Inside the prefix or a frame: a stream that ends here was cut short.
  bool mid_frame() const {
    return !closed_ && ((prefix_seen_ > 0 && prefix_seen_ < kTcpEncapPrefix.size()) ||
                        length_seen_ > 0 || frame_len_ > 0 || skip_ > 0);
  }
  const TcpEncapStats& stats() const { return stats_; }

private:
  std::optional<Result<TcpFrame>> read_prefix();
  std::optional<Result<TcpFrame>> complete(ByteView body);
  bool read_length(std::optional<Result<TcpFrame>>& out);
  Error drop(TcpDrop why, const std::string& message);
  Error close(TcpDrop why, const std::string& message);
  ByteView take(size_t n);

  size_t prefix_seen_; // prefix octets matched so far (6: done)
  size_t max_frame_;
  ByteView input_; // the unread rest of the current chunk
  uint8_t length_bytes_[kTcpLengthSize] = {};
  size_t length_seen_ = 0;       // octets of the current length field read so far
  size_t frame_len_ = 0;         // the current frame's length field; 0: not read yet
  Bytes partial_;                // the body of a frame that spans chunks
  size_t skip_ = 0;              // body octets of an oversize frame still to skip
  bool release_partial_ = false; // partial_ was returned as a frame: clear before reuse
  bool closed_ = false;
  TcpEncapStats stats_;
};

// Writes frames one after another into a caller's buffer (several per write(2), no
// allocation): false and nothing written when a frame does not fit.
class TcpEncapWriter {
public:
  explicit TcpEncapWriter(MutBytes out) : out_(out) {}

  // RFC 9329 4: only the TCP originator sends the prefix, once, first.
  bool prefix();
  bool ike(ByteView ike_message);
  bool esp(ByteView esp_packet);

  size_t size() const { return used_; }
  ByteView written() const { return ByteView(out_.data(), used_); }
  void clear() { used_ = 0; }

private:
  bool frame(UdpKind kind, ByteView body);
  MutBytes out_;
  size_t used_ = 0;
};

// Writes the length field (and for IKE the non-ESP marker) in front of a body of
// body_size octets already in place: `header` is the kTcpIkeOverhead / kTcpEspOverhead
// bytes before it. For a data plane that seals ESP with headroom and frames it in place.
// Errc::bad_length when the frame would exceed kTcpMaxFrame.
Result<size_t> write_tcp_frame_header(MutBytes header, UdpKind kind, size_t body_size);

} // namespace ikekit::wire
