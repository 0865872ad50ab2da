// TCP-encapsulated IKE and ESP in a capture (RFC 9329): each direction of each TCP
// connection is put back in order from its segments, and its bytes go through the
// RFC 9329 stream codec (wire/tcp_encap) into IKE messages and ESP packets.
//
// Reassembly follows the sequence numbers (modulo 2^32): bytes already delivered are
// retransmissions or overlaps and are skipped; a segment beyond the next expected byte
// waits until the gap fills. A SYN starts a direction afresh (the SYN's sender is the
// TCP originator, whose stream begins with "IKETCP"); a direction whose SYN is not in the
// capture starts at its first segment, with the prefix when its first byte is 'I'. FIN
// and RST end a direction. Bounded in every dimension: at most kMaxFlows directions
// (the least recently used is forgotten), kMaxPendingBytes and kMaxPendingSegments of
// out-of-order data per direction. A direction whose gap does not fill within those
// limits has lost its framing for good: it is reported once and the rest of it ignored.
#pragma once

#include "base/bytes.hpp"
#include "base/ip_address.hpp"
#include "base/result.hpp"
#include "decode/records.hpp"
#include "wire/tcp_encap.hpp"

#include <cstdint>
#include <list>
#include <map>
#include <optional>
#include <tuple>
#include <vector>

namespace ikekit::decode {

struct TcpSegment {
  Endpoint src, dst;
  uint32_t seq = 0;
  uint8_t flags = 0;
  ByteView data; // valid until the next add()
};

// What a direction produced: an IKE message or ESP packet (views valid until the next
// next() or add()), or a problem: a frame dropped by the codec, the stream closed by it,
// the framing lost to a gap, or a frame cut short by the end of the stream.
struct TcpStreamItem {
  Endpoint src, dst;
  Result<wire::TcpFrame> frame;
};

class TcpStreams {
public:
  static constexpr size_t kMaxFlows = 256;
  static constexpr size_t kMaxPendingBytes = 256 * 1024;
  static constexpr size_t kMaxPendingSegments = 256;

  // Takes one segment; then next() until std::nullopt yields what it completed.
  void add(const TcpSegment& segment);
  std::optional<TcpStreamItem> next();
  // At the end of the capture: a problem for every direction that stopped inside a frame
  // or with a gap that never filled; then next() yields them.
  void finish();

  uint64_t retransmitted_segments() const { return retransmitted_; }
  uint64_t keepalives() const; // NAT keepalives the codecs swallowed (RFC 9329 6.6)

private:
  using Key = std::tuple<IpAddress, uint16_t, IpAddress, uint16_t>;
  struct Flow {
    Endpoint src, dst;
    std::optional<wire::TcpEncapReader> reader; // made at the first SYN or data
    uint64_t delivered = 0;                     // stream bytes handed to the reader
    uint32_t next_seq = 0;                      // the sequence number of byte `delivered`
    std::map<uint64_t, Bytes> pending;          // out-of-order data by stream offset
    size_t pending_bytes = 0;
    std::optional<uint64_t> fin_at; // stream offset of the FIN
    bool done = false;              // FIN/RST reached, framing lost, or codec closed
    std::list<Key>::iterator lru;
  };

  Flow& flow_for(const TcpSegment& s);
  void start(Flow& f, bool originator, uint32_t first_seq);
  void take_data(Flow& f, const TcpSegment& s);
  void lose(Flow& f, const std::string& message);
  void end_of_stream(Flow& f, const char* why);
  void problem(const Flow& f, Error e);

  std::map<Key, Flow> flows_;
  std::list<Key> lru_; // most recent first
  uint64_t retransmitted_ = 0;
  uint64_t forgotten_keepalives_ = 0;
  // What add() made ready: problems first, then chunks for the current flow's reader.
  std::vector<TcpStreamItem> problems_;
  Flow* current_ = nullptr;
  std::vector<ByteView> chunks_; // in order; views into the segment or into ready_
  std::vector<Bytes> ready_;     // out-of-order data that became contiguous
  size_t next_chunk_ = 0;
};

} // namespace ikekit::decode
