#include "decode/tcp_streams.hpp"

#include "wire/tcp.hpp"

#include <algorithm>
#include <string>

namespace ikekit::decode {

namespace {

// Signed distance from b to a in sequence space (RFC 9293 3.4: arithmetic modulo 2^32).
int64_t seq_diff(uint32_t a, uint32_t b) { return int32_t(a - b); }

} // namespace

void TcpStreams::problem(const Flow& f, Error e) {
  problems_.push_back(TcpStreamItem{f.src, f.dst, Result<wire::TcpFrame>(std::move(e))});
}

TcpStreams::Flow& TcpStreams::flow_for(const TcpSegment& s) {
  Key key{s.src.address, s.src.port, s.dst.address, s.dst.port};
  auto it = flows_.find(key);
  if (it != flows_.end()) {
    lru_.splice(lru_.begin(), lru_, it->second.lru);
    return it->second;
  }
  if (flows_.size() >= kMaxFlows) {
    auto old = flows_.find(lru_.back());
    if (old->second.reader) forgotten_keepalives_ += old->second.reader->stats().keepalives;
    flows_.erase(old);
    lru_.pop_back();
  }
  lru_.push_front(key);
  Flow& f = flows_[key];
  f.src = s.src;
  f.dst = s.dst;
  f.lru = lru_.begin();
  return f;
}

// RFC 9329 4: the TCP originator (the SYN's sender) begins its stream with "IKETCP".
void TcpStreams::start(Flow& f, bool originator, uint32_t first_seq) {
  if (f.reader) {
    if (f.reader->mid_frame() && !f.done)
      problem(f,
              make_error(Errc::truncated, "tcp.stream",
                         "a new connection (SYN) on the same ports while a frame was incomplete"));
    if (f.reader) forgotten_keepalives_ += f.reader->stats().keepalives;
  }
  f.reader.emplace(originator);
  f.delivered = 0;
  f.next_seq = first_seq;
  f.pending.clear();
  f.pending_bytes = 0;
  f.fin_at.reset();
  f.done = false;
}

void TcpStreams::lose(Flow& f, const std::string& message) {
  problem(f, make_error(Errc::bad_length, "tcp.reassembly",
                        message + "; the rest of this direction cannot be framed and is ignored"));
  f.done = true;
  f.pending.clear();
  f.pending_bytes = 0;
}

void TcpStreams::take_data(Flow& f, const TcpSegment& s) {
  const uint32_t seq = s.seq + ((s.flags & wire::kTcpSyn) ? 1 : 0); // a SYN takes one number
  const int64_t offset = seq_diff(seq, f.next_seq);
  const int64_t end = offset + int64_t(s.data.size());
  if (s.flags & wire::kTcpFin) f.fin_at = f.delivered + uint64_t(std::max<int64_t>(end, 0));
  if (s.data.empty()) return;
  if (end <= 0) {
    ++retransmitted_; // every byte already delivered
    return;
  }
  if (offset > 0) {
    // Ahead of a gap: wait for it to fill (keeping the longer of two copies).
    Bytes& slot = f.pending[f.delivered + uint64_t(offset)];
    if (slot.size() >= s.data.size()) {
      ++retransmitted_;
      return;
    }
    f.pending_bytes += s.data.size() - slot.size();
    slot.assign(s.data.begin(), s.data.end());
    if (f.pending_bytes > kMaxPendingBytes || f.pending.size() > kMaxPendingSegments)
      lose(f, "a gap at stream byte " + std::to_string(f.delivered) + " left " +
                  std::to_string(f.pending_bytes) + " bytes in " +
                  std::to_string(f.pending.size()) + " segments waiting, over the limit of " +
                  std::to_string(kMaxPendingBytes) + " bytes or " +
                  std::to_string(kMaxPendingSegments) + " segments");
    return;
  }
  if (offset < 0) ++retransmitted_; // an overlap: only the new part is taken
  ByteView fresh = s.data.subspan(size_t(-offset));
  chunks_.push_back(fresh);
  f.delivered += fresh.size();
  f.next_seq += uint32_t(fresh.size());
  // Out-of-order data that is now contiguous.
  while (!f.pending.empty() && f.pending.begin()->first <= f.delivered) {
    auto it = f.pending.begin();
    const uint64_t at = it->first;
    Bytes data = std::move(it->second);
    f.pending_bytes -= data.size();
    f.pending.erase(it);
    if (at + data.size() <= f.delivered) {
      ++retransmitted_;
      continue;
    }
    const size_t skip = size_t(f.delivered - at);
    ready_.push_back(std::move(data)); // its heap buffer stays put when ready_ grows
    chunks_.push_back(ByteView(ready_.back()).subspan(skip));
    f.delivered += chunks_.back().size();
    f.next_seq += uint32_t(chunks_.back().size());
  }
}

void TcpStreams::add(const TcpSegment& s) {
  problems_.clear();
  chunks_.clear();
  ready_.clear();
  next_chunk_ = 0;
  current_ = nullptr;
  Flow& f = flow_for(s);
  if (s.flags & wire::kTcpSyn) {
    // A retransmitted SYN changes nothing; another one starts a new connection.
    if (!(f.reader && f.delivered == 0 && f.next_seq == s.seq + 1))
      start(f, !(s.flags & wire::kTcpAck), s.seq + 1);
  } else if (!f.reader) {
    if (s.data.empty()) return;
    start(f, s.data[0] == wire::kTcpEncapPrefix[0], s.seq);
  }
  if (f.done) return;
  if (s.flags & wire::kTcpRst) return end_of_stream(f, "RST");
  take_data(f, s);
  current_ = &f;
}

void TcpStreams::end_of_stream(Flow& f, const char* why) {
  f.done = true;
  if (f.reader->mid_frame())
    problem(f, make_error(Errc::truncated, "tcp.stream",
                          std::string("the stream ended (") + why + ") inside a frame"));
}

std::optional<TcpStreamItem> TcpStreams::next() {
  for (;;) {
    if (!problems_.empty()) {
      TcpStreamItem item = std::move(problems_.front());
      problems_.erase(problems_.begin());
      return item;
    }
    if (!current_) return std::nullopt;
    Flow& f = *current_;
    if (auto r = f.reader->next()) {
      if (f.reader->closed()) f.done = true;
      return TcpStreamItem{f.src, f.dst, std::move(*r)};
    }
    if (!f.done && next_chunk_ < chunks_.size()) {
      f.reader->feed(chunks_[next_chunk_++]);
      continue;
    }
    current_ = nullptr;
    if (!f.done && f.fin_at && f.delivered >= *f.fin_at) end_of_stream(f, "FIN");
  }
}

void TcpStreams::finish() {
  problems_.clear();
  current_ = nullptr;
  for (auto& [key, f] : flows_) {
    if (f.done || !f.reader) continue;
    if (!f.pending.empty())
      problem(f, make_error(Errc::truncated, "tcp.reassembly",
                            "the capture ended with a gap at stream byte " +
                                std::to_string(f.delivered) + " and " +
                                std::to_string(f.pending_bytes) + " bytes after it"));
    else if (f.reader->mid_frame())
      end_of_stream(f, "end of capture");
    f.done = true;
  }
}

uint64_t TcpStreams::keepalives() const {
  uint64_t n = forgotten_keepalives_;
  for (const auto& [key, f] : flows_)
    if (f.reader) n += f.reader->stats().keepalives;
  return n;
}

} // namespace ikekit::decode
