// The TUN data plane's packet paths (RFC 4303, RFC 4301 5.1 and 5.2): the sending
// thread reads the TUN device, selects the outbound SA and seals in place; the
// receiving thread (or handle_esp) opens in place, checks the SA's selectors and
// writes to the TUN device.
#include "esp/outer_ip.hpp"
#include "io/dataplane/tun_dataplane.hpp"
#include "tun_state.hpp"

#include <poll.h>

namespace ikekit::io::dataplane {

namespace {

constexpr int kPollMs = 100; // how often an idle thread looks at stop_ and its commands

void count_selector_drop(InStats& s, esp::SelectorVerdict v) {
  switch (v) {
  case esp::SelectorVerdict::src_outside:
    ++s.selector_src;
    break;
  case esp::SelectorVerdict::dst_outside:
    ++s.selector_dst;
    break;
  case esp::SelectorVerdict::protocol_outside:
    ++s.selector_protocol;
    break;
  case esp::SelectorVerdict::port_outside:
    ++s.selector_port;
    break;
  case esp::SelectorVerdict::match:
    break;
  }
}
} // namespace

void TunDataplane::tx_loop() {
  TxState& s = *tx_;
  pollfd p{tun_->fd(), POLLIN, 0};
  while (!stop_.load(std::memory_order_relaxed)) {
    if (tx_pending_.load(std::memory_order_acquire)) drain_tx_commands();
    int pr = ::poll(&p, 1, kPollMs);
    if (pr <= 0) continue; // timeout or EINTR: look at stop_ and the commands again
    auto n = tun_->read_batch(s.reads, s.sizes);
    if (!n) return fail(n.error());
    size_t out = 0;
    esp::PacketSelector sel;
    for (size_t i = 0; i < *n; ++i) {
      MutBytes buf(s.storage.data() + i * s.stride, s.stride);
      ByteView pkt(buf.data() + kTxHeadroom, s.sizes[i]);
      if (!esp::read_packet_selector(pkt, sel)) {
        ++s.local.not_ip;
        continue;
      }
      // RFC 4301 5.1: the SA whose selectors take the packet, or discard.
      std::optional<uint32_t> slot = s.spd.lookup(sel);
      if (!slot) {
        ++s.local.no_sa;
        continue;
      }
      OutEntry* e = s.slots[*slot].get();
      if (!e->seq_reserved()) {
        ++s.local.seq_unreserved; // its owner has not made the number durable yet
        continue;
      }
      size_t off = kTxHeadroom, len = pkt.size();
      uint8_t nh;
      if (e->mode == EspMode::tunnel) {
        nh = pkt[0] >> 4 == 4 ? esp::kNextHeaderIpv4 : esp::kNextHeaderIpv6; // RFC 4303 2.6
      } else {
        // Transport mode (RFC 4303 3.1.1): ESP protects the upper-layer segment; the IP
        // header is rebuilt from the SA's endpoints by the kernel on send.
        size_t hlen = pkt[0] >> 4 == 4 ? size_t(pkt[0] & 0x0f) * 4 : esp::kIpv6HeaderLen;
        if (hlen < esp::kIpv4HeaderLen || hlen > len) {
          ++s.local.not_ip;
          continue;
        }
        nh = pkt[0] >> 4 == 4 ? pkt[9] : pkt[6];
        off += hlen;
        len -= hlen;
      }
      esp::Sealed sealed = e->sa.seal_in_place(buf, off, len, nh);
      // RFC 4303 3.3.3: never wrap; past the soft limit (or at the end, had the limit
      // been set beyond it) the pair is rekeyed (RFC 7296 2.8).
      if (!e->rekey_requested &&
          (sealed ? sealed.soft_limit : sealed.status == esp::SealStatus::sa_exhausted)) {
        e->rekey_requested = true;
        request_rekey(e->spi_in);
      }
      if (!sealed) continue; // counted by the SA (exhausted, no room, crypto)
      s.packets[out] = sealed.packet;
      s.peers[out] = &e->peer;
      s.local.wire_bytes += sealed.packet.size();
      ++out;
    }
    if (out > 0) {
      auto sent =
          s.sender->send_batch(std::span(s.packets.data(), out), std::span(s.peers.data(), out));
      if (!sent) return fail(sent.error());
      s.local.send_dropped += out - *sent;
    }
    s.publish(out_cell_);
  }
}

void TunDataplane::deliver(uint8_t* buffer_start, const esp::Opened& o, uint32_t spi) {
  RxState& rx = *rx_;
  MutBytes payload = o.payload;
  const InEntry* e = rx.find(spi);
  if (!e || payload.empty()) {
    ++rx.local.bad_inner;
    return;
  }
  if (e->mode == EspMode::tunnel) {
    // RFC 4303 2.6: Next Header 4 or 41 says what the inner packet is.
    uint8_t v = payload[0] >> 4;
    if (!((o.next_header == esp::kNextHeaderIpv4 && v == 4) ||
          (o.next_header == esp::kNextHeaderIpv6 && v == 6))) {
      ++rx.local.bad_inner;
      return;
    }
  } else {
    // Transport mode: give the segment back its IP header, from the SA's endpoints.
    size_t hlen = e->local.is_v4() ? esp::kIpv4HeaderLen : esp::kIpv6HeaderLen;
    size_t off = size_t(payload.data() - buffer_start);
    if (off < hlen) {
      ++rx.local.bad_inner; // no headroom (shared socket with a tight buffer)
      return;
    }
    MutBytes whole(buffer_start, off + payload.size());
    payload =
        esp::prepend_ip_header(whole, off, payload.size(), e->remote, e->local, o.next_header);
    if (payload.empty()) {
      ++rx.local.bad_inner;
      return;
    }
  }
  // RFC 4301 5.2 step 4: what an SA brings in must lie within its selectors.
  esp::PacketSelector sel;
  if (!esp::read_packet_selector(payload, sel)) {
    ++rx.local.bad_inner;
    return;
  }
  if (auto v = esp::check_inbound(e->selectors, sel); v != esp::SelectorVerdict::match) {
    count_selector_drop(rx.local, v);
    return;
  }
  auto w = tun_->write(payload);
  if (!w || !*w) ++rx.local.deliver_dropped;
}

void TunDataplane::rx_loop() {
  RxState& s = *rx_;
  pollfd p{esp_fd_, POLLIN, 0};
  while (!stop_.load(std::memory_order_relaxed)) {
    if (rx_pending_.load(std::memory_order_acquire)) drain_rx_commands();
    int pr = ::poll(&p, 1, kPollMs);
    if (pr <= 0) continue;
    auto n = s.receiver->recv_batch(s.bufs, s.datagrams);
    if (!n) return fail(n.error());
    for (size_t i = 0; i < *n; ++i) {
      EspDatagram& d = s.datagrams[i];
      if (!d.esp_ok) {
        ++s.local.not_esp;
        continue;
      }
      esp::EspHeader h;
      if (!esp::read_esp_header(d.esp, h)) h.spi = 0;
      esp::Opened o = s.db.open_in_place(d.esp);
      if (o) deliver(s.bufs[i].data() - kRxHeadroom, o, h.spi);
    }
    s.publish(in_cell_);
  }
}

void TunDataplane::handle_esp(std::span<RecvSlot> slots) {
  RxState& s = *rx_;
  for (RecvSlot& slot : slots) {
    if (slot.kind != UdpPayloadKind::esp) continue;
    MutBytes esp = slot.buffer.subspan(0, std::min(slot.size, slot.buffer.size()));
    esp::EspHeader h;
    if (!esp::read_esp_header(esp, h)) h.spi = 0;
    esp::Opened o = s.db.open_in_place(esp);
    if (o) deliver(slot.buffer.data(), o, h.spi);
  }
  s.publish(in_cell_);
}

} // namespace ikekit::io::dataplane
