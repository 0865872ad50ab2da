// The TUN data plane's receiving side: the receiving thread reads the ESP socket (with
// UDP GRO, many datagrams per message), or ike-up's loop hands over what its socket
// read (handle_esp); the sans-I/O InboundPipeline opens the batch (SA, replay, ICV,
// mode, selectors) and the inner packets go to the TUN device, with offloads coalesced
// per TCP flow (esp/tcp_coalesce.hpp) into one write each.
#include "io/dataplane/tun_dataplane.hpp"
#include "tun_state.hpp"

#include <utility>

namespace ikekit::io::dataplane {

// One batch from the ESP socket (`rx_->busy` held): SA changes first, then up to
// s.messages messages, opened and written to the device. `more`: every buffer filled.
TunDataplane::Work TunDataplane::rx_batch() {
  RxState& s = *rx_;
  if (rx_pending()) drain_rx_commands();
  auto n = s.receiver->recv_batch(std::span(s.bufs.data(), s.messages), s.received);
  if (!n) {
    fail(n.error());
    return Work::none;
  }
  if (*n == 0) return Work::none;
  size_t k = 0;
  for (size_t i = 0; i < *n; ++i)
    k = take_message(s.received[i], s.bufs[i].data() - kRxHeadroom, k);
  deliver(k);
  s.publish(in_cell_);
  return *n == s.messages ? Work::more : Work::some;
}

// Shared-socket mode: what the plain ESP socket of family `f` holds (a raw IPv4 socket
// delivers the IP header too; split() skips it), into the receive buffers the loop thread
// owns here.
void TunDataplane::receive_plain(IpAddress::Family f) {
  RxState& s = *rx_;
  EspReceiver* receiver = s.plain_receivers[family_index(f)].get();
  if (!receiver) return;
  for (;;) {
    auto n = receiver->recv_batch(std::span(s.bufs.data(), s.messages), s.received);
    if (!n) return fail(n.error());
    if (*n == 0) break;
    size_t k = 0;
    for (size_t i = 0; i < *n; ++i)
      k = take_message(s.received[i], s.bufs[i].data() - kRxHeadroom, k, nullptr, receiver);
    deliver(k);
    if (*n < s.messages) break; // drained
  }
  s.publish(in_cell_);
  answer_delivered();
}

std::vector<esp::PeerChange> TunDataplane::take_peer_changes() {
  return std::exchange(rx_->peer_changes, {});
}

void TunDataplane::handle_esp(std::span<RecvSlot> slots, size_t headroom) {
  RxState& s = *rx_;
  size_t k = 0;
  bool any = false;
  for (RecvSlot& slot : slots) {
    if (slot.kind != wire::UdpKind::esp || slot.truncated) continue;
    EspMessage m{slot.buffer.subspan(0, std::min(slot.size, slot.buffer.size())), slot.gro_segment};
    const esp::EspSource& source = slot.remote;
    k = take_message(m, slot.buffer.data() - headroom, k, &source);
    any = true;
  }
  deliver(k);
  s.publish(in_cell_);
  if (any) answer_delivered();
}

// Appends the ESP packets of `m` to rx_->in after the first `k`, delivering the batch
// whenever it fills (a GRO message may hold more datagrams than the batch has room
// for); returns how many wait in the batch. `source`: where `m` came from, if known.
size_t TunDataplane::take_message(const EspMessage& m, uint8_t* floor, size_t k,
                                  const esp::EspSource* source, const EspReceiver* from) {
  RxState& s = *rx_;
  uint64_t not_esp = 0;
  size_t offset = 0;
  for (;;) {
    size_t first = k;
    k = (from ? *from : *s.receiver).split(m, offset, floor, s.in, k, not_esp);
    for (size_t j = first; source && j < k; ++j) {
      s.sources[j] = *source;
      s.in[j].source = &s.sources[j];
    }
    if (offset >= m.data.size()) break;
    deliver(k); // full: what came before in this buffer is written out, its room free
    k = 0;
  }
  s.pipeline.count_not_esp(not_esp);
  return k;
}

// Opens the first `npackets` of rx_->in and writes the inner packets to the device.
void TunDataplane::deliver(size_t npackets) {
  RxState& s = *rx_;
  size_t n = s.pipeline.open_batch(std::span(s.in.data(), npackets), s.delivered);
  if (!s.pipeline.peer_changes().empty()) { // rare: a peer's NAT mapping changed
    auto changes = s.pipeline.peer_changes();
    s.peer_changes.insert(s.peer_changes.end(), changes.begin(), changes.end());
    s.pipeline.clear_peer_changes();
  }
  uint64_t dropped = 0;
  if (!offload_) {
    for (size_t i = 0; i < n; ++i) {
      auto w = tun_->write(s.delivered[i]);
      if (!w || !*w) ++dropped; // a full queue drops the packet
    }
    s.pipeline.count_undelivered(dropped);
    return;
  }
  s.coalescer.reset();
  for (size_t i = 0; i < n; ++i)
    (void)s.coalescer.add(s.delivered[i]); // fits: kRxPackets <= kMaxPackets
  s.coalescer.finish();
  for (size_t g = 0; g < s.coalescer.groups(); ++g) {
    const esp::TcpCoalescer::Group& grp = s.coalescer.group(g);
    size_t parts = 0;
    s.parts[parts++] = s.coalescer.head(g);
    for (uint16_t m = s.coalescer.next(grp.first); m != esp::TcpCoalescer::kNone;
         m = s.coalescer.next(m))
      s.parts[parts++] = s.coalescer.payload(m);
    auto w = tun_->write_offload(grp.gso, std::span(s.parts.data(), parts));
    if (!w || !*w) dropped += grp.count;
  }
  s.pipeline.count_undelivered(dropped);
}

} // namespace ikekit::io::dataplane
