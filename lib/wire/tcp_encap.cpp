#include "wire/tcp_encap.hpp"

#include <algorithm>
#include <cassert>
#include <cstring>
#include <string>

namespace ikekit::wire {

std::string_view tcp_drop_name(TcpDrop d) {
  switch (d) {
  case TcpDrop::short_frame:
    return "short_frame";
  case TcpDrop::oversize:
    return "oversize";
  case TcpDrop::bad_prefix:
    return "bad_prefix";
  case TcpDrop::bad_length:
    return "bad_length";
  }
  return "unknown";
}

TcpEncapReader::TcpEncapReader(bool expect_prefix, size_t max_frame)
    : prefix_seen_(expect_prefix ? 0 : kTcpEncapPrefix.size()),
      max_frame_(std::clamp<size_t>(max_frame, kTcpLengthSize, kTcpMaxFrame)) {}

void TcpEncapReader::feed(ByteView chunk) { input_ = chunk; }

ByteView TcpEncapReader::take(size_t n) {
  ByteView v = input_.first(std::min(n, input_.size()));
  input_ = input_.subspan(v.size());
  stats_.bytes += v.size();
  return v;
}

Error TcpEncapReader::drop(TcpDrop why, const std::string& message) {
  ++stats_.dropped[size_t(why)];
  return make_error(why == TcpDrop::oversize ? Errc::bad_length : Errc::truncated, "tcp.frame",
                    std::string(tcp_drop_name(why)) + ": " + message);
}

Error TcpEncapReader::close(TcpDrop why, const std::string& message) {
  ++stats_.dropped[size_t(why)];
  closed_ = true;
  input_ = {};
  partial_.clear();
  return make_error(why == TcpDrop::bad_prefix ? Errc::bad_value : Errc::bad_length,
                    why == TcpDrop::bad_prefix ? "tcp.prefix" : "tcp.length",
                    std::string(tcp_drop_name(why)) + ": " + message +
                        "; the stream cannot be followed and is closed (RFC 9329 6.1)");
}

// RFC 9329 4: the originator's stream begins with "IKETCP"; it may arrive a byte at a time.
std::optional<Result<TcpFrame>> TcpEncapReader::read_prefix() {
  while (prefix_seen_ < kTcpEncapPrefix.size() && !input_.empty()) {
    uint8_t b = take(1)[0];
    if (b != kTcpEncapPrefix[prefix_seen_])
      return Result<TcpFrame>(
          close(TcpDrop::bad_prefix, "octet " + std::to_string(prefix_seen_) +
                                         " of the stream is not that of \"IKETCP\""));
    ++prefix_seen_;
  }
  return std::nullopt;
}

// A whole frame body: IKE, ESP, or too short for its kind; std::nullopt for a keepalive,
// which RFC 9329 6.6 ("NAT-keepalive Packets") has the receiver drop silently.
std::optional<Result<TcpFrame>> TcpEncapReader::complete(ByteView body) {
  frame_len_ = 0;
  auto payload = classify_udp_encap(body, "tcp.frame");
  if (!payload) {
    ++stats_.dropped[size_t(TcpDrop::short_frame)];
    Error e = payload.error();
    e.message = "short_frame: " + e.message;
    return Result<TcpFrame>(std::move(e));
  }
  if (payload->kind == UdpKind::keepalive) {
    ++stats_.keepalives;
    return std::nullopt;
  }
  ++(payload->kind == UdpKind::ike ? stats_.ike : stats_.esp);
  return Result<TcpFrame>(TcpFrame{payload->kind, payload->data});
}

// Reads the length field (perhaps split across chunks). false: more bytes needed, or
// `out` holds the error that dropped an oversize frame or closed the stream.
bool TcpEncapReader::read_length(std::optional<Result<TcpFrame>>& out) {
  ByteView got = take(kTcpLengthSize - length_seen_);
  if (got.empty()) return false; // (memcpy from an empty view's null pointer is undefined)
  std::memcpy(length_bytes_ + length_seen_, got.data(), got.size());
  length_seen_ += got.size();
  if (length_seen_ < kTcpLengthSize) return false;
  length_seen_ = 0;
  size_t len = load_be16(length_bytes_);
  if (len < kTcpLengthSize) {
    out = Result<TcpFrame>(
        close(TcpDrop::bad_length, "length " + std::to_string(len) +
                                       " is below 2, the size of the length field itself"));
    return false;
  }
  if (len > max_frame_) {
    skip_ = len - kTcpLengthSize;
    out = Result<TcpFrame>(drop(TcpDrop::oversize, "frame of " + std::to_string(len) +
                                                       " bytes, over the limit of " +
                                                       std::to_string(max_frame_)));
    return false;
  }
  frame_len_ = len;
  return true;
}

std::optional<Result<TcpFrame>> TcpEncapReader::next() {
  for (;;) {
    if (closed_) return std::nullopt;
    if (release_partial_) {
      partial_.clear();
      release_partial_ = false;
    }
    if (auto bad = read_prefix()) return bad;
    if (prefix_seen_ < kTcpEncapPrefix.size()) return std::nullopt;
    if (skip_) {
      skip_ -= take(skip_).size();
      if (skip_) return std::nullopt;
    }
    if (frame_len_ == 0) {
      std::optional<Result<TcpFrame>> error;
      if (!read_length(error)) return error;
    }
    const size_t body_len = frame_len_ - kTcpLengthSize;
    std::optional<Result<TcpFrame>> frame;
    if (partial_.empty() && input_.size() >= body_len) {
      frame = complete(take(body_len)); // the frame lies in this chunk: a view, no copy
    } else {
      if (partial_.capacity() < max_frame_) partial_.reserve(max_frame_); // once per reader
      ByteView got = take(body_len - partial_.size());
      partial_.insert(partial_.end(), got.begin(), got.end());
      if (partial_.size() < body_len) return std::nullopt;
      release_partial_ = true;
      frame = complete(partial_);
    }
    if (frame) return frame; // else a keepalive was swallowed: go on
  }
}

bool TcpEncapWriter::prefix() {
  if (out_.size() - used_ < kTcpEncapPrefix.size()) return false;
  std::memcpy(out_.data() + used_, kTcpEncapPrefix.data(), kTcpEncapPrefix.size());
  used_ += kTcpEncapPrefix.size();
  return true;
}

bool TcpEncapWriter::ike(ByteView ike_message) { return frame(UdpKind::ike, ike_message); }
bool TcpEncapWriter::esp(ByteView esp_packet) { return frame(UdpKind::esp, esp_packet); }

bool TcpEncapWriter::frame(UdpKind kind, ByteView body) {
  const size_t overhead = kind == UdpKind::ike ? kTcpIkeOverhead : kTcpEspOverhead;
  if (out_.size() - used_ < overhead + body.size()) return false;
  auto header = write_tcp_frame_header(out_.subspan(used_, overhead), kind, body.size());
  if (!header) return false;
  if (!body.empty()) std::memcpy(out_.data() + used_ + overhead, body.data(), body.size());
  used_ += overhead + body.size();
  return true;
}

Result<size_t> write_tcp_frame_header(MutBytes header, UdpKind kind, size_t body_size) {
  const size_t overhead = kind == UdpKind::ike ? kTcpIkeOverhead : kTcpEspOverhead;
  assert(kind != UdpKind::keepalive && header.size() >= overhead);
  const size_t len = overhead + body_size;
  if (len > kTcpMaxFrame)
    return make_error(Errc::bad_length, "tcp.length",
                      std::to_string(len) + "-byte frame: the 16-bit length allows 65535");
  store_be16(header.data(), uint16_t(len));
  if (kind == UdpKind::ike) store_be32(header.data() + kTcpLengthSize, 0); // non-ESP marker
  return overhead;
}

} // namespace ikekit::wire
