// From a captured frame to the IP packet's transport payload: link layers
// (Ethernet/VLAN, Linux cooked SLL and SLL2, raw IP, BSD loopback), then the IPv4/IPv6
// (extension headers skipped), UDP and TCP headers of wire/ip.hpp, wire/udp.hpp and
// wire/tcp.hpp, whose typed errors become the Error a malformed record shows; and IP
// fragment reassembly.
#pragma once

#include "base/bytes.hpp"
#include "base/ip_address.hpp"
#include "base/result.hpp"

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

namespace ikekit::decode {

struct Packet {
  IpAddress src;
  IpAddress dst;
  uint8_t ip_protocol = 0;
  uint16_t src_port = 0; // UDP and TCP only
  uint16_t dst_port = 0;
  uint32_t tcp_seq = 0;  // TCP only
  uint8_t tcp_flags = 0; // TCP only: FIN 0x01, SYN 0x02, RST 0x04, ACK 0x10
  ByteView payload;      // the UDP or TCP payload, or the IP payload for other protocols
  // TCP only: the header is cut or its data offset is wrong; the ports are set (so the
  // decoder can tell whether the segment was one of a TCP-encapsulation connection,
  // since other TCP traffic is not its business), the payload is empty.
  std::optional<Error> tcp_error;
  bool reassembled = false;
};

// Collects IPv4/IPv6 fragments until a datagram is whole. Bounded in every dimension
// (issue 11: a flood of fragments must not cost time or memory without limit):
//  - at most kMaxDatagrams pending datagrams and kMaxPendingBytes of their data; the
//    oldest is dropped to make room;
//  - at most kMaxFragments fragments per datagram; one more drops the datagram.
// Each fragment costs O(log n): the covered ranges are kept merged in a map.
// A datagram that never completes (dropped, or still pending when the capture ends)
// is reported, not lost silently: take_abandoned() and pending(); every fragment thrown
// away is counted in dropped_fragments().
class IpReassembler {
public:
  static constexpr size_t kMaxDatagrams = 64;
  static constexpr size_t kMaxFragments = 256;
  static constexpr size_t kMaxPendingBytes = 1024 * 1024;

  // A datagram whose fragments did not all arrive.
  struct Incomplete {
    IpAddress src, dst;
    uint32_t id = 0;
    uint8_t protocol = 0;
    size_t fragments = 0;
    uint32_t bytes = 0;       // payload bytes received
    uint64_t first_frame = 0; // the frame of its first fragment, and its time
    int64_t ts_sec = 0, ts_usec = 0;
    bool over_limit = false; // dropped for exceeding kMaxFragments
    std::string describe() const;
  };

  // The frame the next add() comes from (for Incomplete::first_frame).
  void set_frame(uint64_t frame, int64_t ts_sec, int64_t ts_usec) {
    frame_ = frame;
    ts_sec_ = ts_sec;
    ts_usec_ = ts_usec;
  }
  // Adds one fragment; returns the whole datagram's payload (valid until the next
  // call) once every piece is there.
  std::optional<ByteView> add(const IpAddress& src, const IpAddress& dst, uint32_t id,
                              uint8_t protocol, uint32_t offset, bool more, ByteView data);
  // Datagrams dropped since the last call (to make room, or over the fragment limit).
  std::vector<Incomplete> take_abandoned();
  // Datagrams still waiting for fragments, oldest first.
  std::vector<Incomplete> pending() const;
  // Fragments thrown away so far: those of dropped datagrams, and any that would
  // reach past 65535 bytes.
  uint64_t dropped_fragments() const { return dropped_fragments_; }
  size_t pending_bytes() const { return pending_bytes_; }

private:
  using Key = std::tuple<IpAddress, IpAddress, uint32_t, uint8_t>;
  struct Pending {
    Bytes data;
    std::map<uint32_t, uint32_t> covered; // merged [offset, end) ranges received
    uint32_t total = 0;                   // known once the last piece arrived
    size_t fragments = 0;
    uint32_t bytes = 0;
    uint64_t order = 0;
    uint64_t first_frame = 0;
    int64_t ts_sec = 0, ts_usec = 0;
  };
  static Incomplete incomplete(const Key& key, const Pending& pd);
  void drop(std::map<Key, Pending>::iterator it, bool over_limit);
  void make_room(size_t datagrams, size_t bytes);
  std::map<Key, Pending> pending_;
  std::deque<Key> over_limit_; // the last kMaxDatagrams datagrams dropped at the limit
  std::vector<Incomplete> abandoned_;
  Bytes done_;
  uint64_t counter_ = 0;
  uint64_t dropped_fragments_ = 0;
  size_t pending_bytes_ = 0;
  uint64_t frame_ = 0;
  int64_t ts_sec_ = 0, ts_usec_ = 0;
};

// Outcome of dissecting one frame: a packet, "not for us" (ARP, a fragment
// still waiting) as std::nullopt, or an Error naming the malformed layer.
Result<std::optional<Packet>> dissect_frame(int linktype, ByteView frame,
                                            IpReassembler& reassembler);

} // namespace ikekit::decode
