// The TUN data plane's sending direction (run by the threads of tun_worker.cpp): reads the TUN
// device (with offloads, a TCP super-packet at a time, cut into segments: esp/tcp_segment.hpp),
// hands the batch to the sans-I/O OutboundPipeline (SA selection, sequence numbers, mode, seal in
// place) and sends the sealed packets (UDP GSO runs per SA, or sendmmsg, one call per socket in the
// batch; ESP of an SA whose IKE SA runs over TCP goes into that stream instead: tun_stream.cpp).
#include "io/dataplane/tun_dataplane.hpp"
#include "tun_state.hpp"

#include <cstring>
#include <unistd.h>

namespace ikekit::io::dataplane {

// One batch (`tx_->busy` held): SA changes first, then what the device holds, sealed
// and sent. `more`: the batch filled before the device ran dry.
TunDataplane::Work TunDataplane::tx_batch(bool eager) {
  TxState& s = *tx_;
  if (tx_pending()) drain_tx_commands();
  const uint64_t before = s.reads;
  const bool full = tx_fill(eager);
  if (s.count > 0) tx_flush();
  if (full) return Work::more;
  return s.reads != before ? Work::some : Work::none;
}

// Reads packets until the device has none waiting (false) or the batch is full (true);
// `eager`: only until one packet was read (false), which then goes out at once.
bool TunDataplane::tx_fill(bool eager) {
  TxState& s = *tx_;
  while (s.count < kTxSlots) {
    if (offload_) {
      if (!tx_read_offload()) return false;
      ++s.reads;
      if (eager) return false;
      continue;
    }
    MutBytes slot = s.slot(s.count);
    auto n = tun_->read(slot.subspan(kTxHeadroom, mtu_));
    if (!n) {
      fail(n.error());
      return false;
    }
    if (*n == 0) return false;
    ++s.reads;
    s.packets[s.count++] = esp::OutPacket{slot, kTxHeadroom, *n};
    if (eager) return false;
  }
  return true;
}

// One packet with its virtio_net_hdr: a TSO super-packet is cut into segments, one per
// slot (flushing the batch when it fills); a partial checksum is completed. False
// when none was waiting.
bool TunDataplane::tx_read_offload() {
  TxState& s = *tx_;
  esp::GsoInfo gso;
  auto n = tun_->read_offload(s.super, gso);
  if (!n) {
    fail(n.error());
    return false;
  }
  if (*n == 0) return false;
  MutBytes pkt(s.super.data(), *n);
  if (gso.type == esp::GsoInfo::Type::none) {
    if (gso.needs_csum && !esp::complete_checksum(pkt, gso.csum_start, gso.csum_offset)) {
      ++s.io.not_ip; // offsets outside the packet
      return true;
    }
    if (pkt.size() > mtu_) {
      ++s.io.no_room;
      return true;
    }
    MutBytes slot = s.slot(s.count);
    std::memcpy(slot.data() + kTxHeadroom, pkt.data(), pkt.size());
    s.packets[s.count++] = esp::OutPacket{slot, kTxHeadroom, pkt.size()};
    return true;
  }
  if (!s.segmenter.start(pkt, gso, kMaxMessage)) {
    ++s.io.not_ip; // not the TCP packet its header announced
    return true;
  }
  for (size_t i = 0; i < s.segmenter.count(); ++i) {
    if (s.count == kTxSlots) tx_flush();
    size_t len = s.segmenter.segment_len(i);
    if (len > mtu_) {
      ++s.io.no_room;
      continue;
    }
    MutBytes slot = s.slot(s.count);
    s.segmenter.write(i, slot.data() + kTxHeadroom);
    s.packets[s.count++] = esp::OutPacket{slot, kTxHeadroom, len};
  }
  return true;
}

// Seals the batch and sends it; rekey requests the pipeline raised go to the control side.
void TunDataplane::tx_flush() {
  TxState& s = *tx_;
  size_t n = s.pipeline.seal_batch(std::span(s.packets.data(), s.count), s.sealed);
  s.count = 0;
  for (uint32_t spi_in : s.pipeline.rekey_requests())
    request_rekey(spi_in);
  s.pipeline.clear_rekey_requests();
  n = send_streams(n); // RFC 9329: those of SAs in a TCP stream go there
  n = send_plain(n);   // no NAT: IP protocol 50, not UDP
  if (!send_udp(n)) return;
  s.publish(out_cell_);
}

// Sends the UDP-encapsulated ESP left in the batch (the first n sealed packets), one
// send_batch per socket: each SA's ESP leaves from the socket of its own local address.
// The usual batch is all on one socket and goes as it is; otherwise the packets on the
// first packet's socket are split off (the order of each SA's packets kept) and sent,
// then those of the next socket.
bool TunDataplane::send_udp(size_t n) {
  TxState& s = *tx_;
  while (n > 0) {
    const int fd = s.fds[s.sealed[0].sa];
    size_t same = 1;
    while (same < n && s.fds[s.sealed[same].sa] == fd)
      ++same;
    std::span<const esp::SealedPacket> group(s.sealed.data(), n);
    size_t rest = 0;
    if (same < n) {
      size_t mine = 0;
      for (size_t i = 0; i < n; ++i) {
        if (s.fds[s.sealed[i].sa] == fd)
          s.split[mine++] = s.sealed[i];
        else
          s.sealed[rest++] = s.sealed[i];
      }
      group = std::span(s.split.data(), mine);
    }
    s.sender->set_fd(fd);
    auto sent = s.sender->send_batch(group, s.peers);
    if (!sent) {
      fail(sent.error());
      return false;
    }
    s.io.send_dropped += group.size() - *sent;
    n = rest;
  }
  return true;
}

void TunDataplane::set_tx_peer(uint32_t slot, const EspPeer& peer) {
  TxState& s = *tx_;
  if (s.peers.size() <= slot) {
    s.peers.resize(slot + 1);
    s.cells.resize(slot + 1);
    s.fds.resize(slot + 1, esp_fd_);
  }
  const EspPeer& was = s.peers[slot];
  if (was.plain) --s.plain_sas[family_index(was.src.family())];
  if (peer.plain) ++s.plain_sas[family_index(peer.src.family())];
  s.peers[slot] = peer;
}

// Sends the sealed packets of plain ESP SAs through the raw socket of their family (one
// sendmmsg per family, a message per packet: no GSO for raw sockets) and moves the
// others to the front of the batch (their order kept); returns how many are left for UDP.
size_t TunDataplane::send_plain(size_t n) {
  TxState& s = *tx_;
  for (size_t f = 0; f < s.plain_senders.size(); ++f) {
    if (s.plain_sas[f] == 0) continue;
    size_t keep = 0, plain = 0;
    for (size_t i = 0; i < n; ++i) {
      const EspPeer& peer = s.peers[s.sealed[i].sa];
      if (peer.plain && family_index(peer.src.family()) == f)
        s.split[plain++] = s.sealed[i];
      else
        s.sealed[keep++] = s.sealed[i];
    }
    n = keep;
    if (plain == 0) continue;
    if (!s.plain_senders[f]) { // never installed so (esp_path.hpp): dropped, not sent as UDP
      s.io.send_dropped += plain;
      continue;
    }
    auto sent = s.plain_senders[f]->send_batch(std::span(s.split.data(), plain), s.peers);
    if (!sent) {
      fail(sent.error());
      return 0;
    }
    s.io.send_dropped += plain - *sent;
  }
  return n;
}

} // namespace ikekit::io::dataplane
