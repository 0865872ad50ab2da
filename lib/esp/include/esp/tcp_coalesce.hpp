// Generic receive offload done in user space (the TUN side of the data plane): the
// decrypted inner packets of one receive batch that continue one another in one TCP
// stream are coalesced into one super-packet, written to the TUN device with one
// virtio_net_hdr (gso_type TCPV4/TCPV6, gso_size = the first segment's payload), so the
// kernel takes 64 KiB per write instead of one segment, as wireguard-go does since 2023.
// Sans-I/O and zero-copy: a group is its head packet, whose headers are rewritten in
// place to cover the whole, followed by the payloads of the other members where they
// lie (the caller writes them with one writev).
//
// A packet continues the newest group of its flow when, as Linux's tcp_gro_receive
// requires: same addresses, ports, IP version, TOS/traffic class, TTL/hop limit, DF,
// header lengths, TCP options and acknowledgment number; flags ACK (PSH allowed, and it
// closes the group); its sequence number follows the group's end; its payload is no
// longer than the group's segment size (a shorter one closes the group); the total
// stays within 65535 bytes; and its TCP checksum verifies (a bad one is delivered
// alone, for the kernel to drop). IPv4 options and IPv6 extension headers are never
// coalesced. Packets of different flows keep their order within each flow.
#pragma once

#include "base/bytes.hpp"
#include "esp/tcp_segment.hpp"

#include <array>
#include <cstddef>
#include <cstdint>

namespace ikekit::esp {

class TcpCoalescer {
public:
  static constexpr size_t kMaxPackets = 512;
  static constexpr uint16_t kNone = 0xffff;

  struct Group {
    uint16_t first = kNone; // packet index of the head
    uint16_t last = kNone;
    uint16_t count = 0;
    uint32_t total = 0;    // the super-packet's length once finished
    GsoInfo gso;           // type none for a packet alone
    bool open = false;     // may still take a packet
    bool tcp = false;      // the head is a TCP packet we may coalesce onto
    uint16_t seg_size = 0; // payload of the head
    uint32_t next_seq = 0; // the sequence number that continues the group
  };

  // Forgets the previous batch.
  void reset();
  // Offers the next packet of the batch (a whole IP packet, kept in place until the
  // batch is written). False, and the packet is not taken, past kMaxPackets: batches
  // are sized not to exceed it.
  bool add(MutBytes packet);
  // Rewrites the head of every group of two or more (lengths, IPv4 header checksum,
  // PSH, the TCP checksum field set to the pseudo-header sum for the kernel to finish)
  // and fills its GsoInfo. Call once after the last add().
  void finish();

  size_t groups() const { return ngroups_; }
  const Group& group(size_t g) const { return groups_[g]; }
  // The head packet (group index g), as rewritten by finish().
  ByteView head(size_t g) const { return packets_[groups_[g].first]; }
  // The member after packet i in its group, or kNone.
  uint16_t next(uint16_t i) const { return next_[i]; }
  // What a member after the head contributes: its TCP payload.
  ByteView payload(uint16_t i) const { return packets_[i].subspan(hdr_len_[i]); }

private:
  bool continues(const Group& g, uint16_t i, const TcpHeaders& h) const;
  void start_group(uint16_t i, bool tcp, const TcpHeaders& h);

  std::array<MutBytes, kMaxPackets> packets_{};
  std::array<uint16_t, kMaxPackets> next_{};
  std::array<uint16_t, kMaxPackets> hdr_len_{};
  std::array<Group, kMaxPackets> groups_{};
  size_t npackets_ = 0;
  size_t ngroups_ = 0;
};

// Whether the TCP checksum of an IPv4/IPv6 TCP packet verifies (RFC 793 3.1).
bool tcp_checksum_valid(ByteView packet, const TcpHeaders& h);

} // namespace ikekit::esp
