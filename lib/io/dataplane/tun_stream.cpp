// The TUN data plane's ESP in TCP streams (RFC 9329 3.2): an ESP packet is a frame of a
// 2-byte length and the packet (no non-ESP marker), in the connection its IKE SA uses.
// Sending thread: the batch's packets of stream SAs are framed into their connection's
// StreamWriter, a run of one connection under one lock, and each connection touched is
// written once per batch. Receiving (the event loop's thread, shared-socket mode): the
// frames of one read(2) are copied into the receive buffers and opened as one batch.
#include "io/dataplane/tun_dataplane.hpp"
#include "tun_state.hpp"

#include <algorithm>
#include <cstring>

namespace ikekit::io::dataplane {

void TunDataplane::set_tx_stream(uint32_t slot, std::shared_ptr<StreamWriter> stream) {
  TxState& tx = *tx_;
  if (tx.streams.size() <= slot) tx.streams.resize(slot + 1);
  tx.stream_sas += size_t(stream != nullptr) - size_t(tx.streams[slot] != nullptr);
  tx.streams[slot] = std::move(stream);
}

Result<void> TunDataplane::set_stream(uint32_t spi_in, std::shared_ptr<StreamWriter> stream) {
  TxCommand tc;
  tc.op = TxCommand::Op::stream;
  {
    std::lock_guard lock(mu_);
    auto it = find_slot(spi_in);
    if (!it) return it.error();
    tc.slot = (*it)->second;
  }
  tc.stream = std::move(stream);
  return post_tx(std::move(tc));
}

// Frames the sealed packets of stream SAs into their streams and moves the others to
// the front of the batch (their order kept); returns how many are left for UDP.
size_t TunDataplane::send_streams(size_t n) {
  TxState& s = *tx_;
  if (s.stream_sas == 0) return n;
  auto stream_of = [&s](uint32_t sa) {
    return sa < s.streams.size() ? s.streams[sa].get() : nullptr;
  };
  size_t keep = 0, touched = 0;
  for (size_t i = 0; i < n;) {
    StreamWriter* w = stream_of(s.sealed[i].sa);
    if (!w) {
      s.sealed[keep++] = s.sealed[i++];
      continue;
    }
    size_t j = i + 1;
    while (j < n && stream_of(s.sealed[j].sa) == w)
      ++j;
    size_t took = w->append_esp(std::span(s.sealed.data() + i, j - i));
    s.io.send_dropped += (j - i) - took; // the writer counts why (esp_full, esp_closed)
    if (std::find(s.touched.begin(), s.touched.begin() + touched, w) == s.touched.begin() + touched)
      s.touched[touched++] = w;
    i = j;
  }
  for (size_t k = 0; k < touched; ++k)
    s.touched[k]->flush_and_signal(); // one send(2) per stream and batch
  return keep;
}

bool TunDataplane::receive_stream_esp(ByteView esp) {
  RxState& s = *rx_;
  if (esp.size() > s.message_size) return false;
  if (s.stream_bufs == s.messages) end_stream_batch(); // every buffer holds a packet
  MutBytes buf = s.bufs[s.stream_bufs++];
  std::memcpy(buf.data(), esp.data(), esp.size());
  EspMessage m{buf.first(esp.size()), 0};
  s.stream_packets = take_message(m, buf.data() - kRxHeadroom, s.stream_packets);
  return true;
}

void TunDataplane::end_stream_batch() {
  RxState& s = *rx_;
  if (s.stream_bufs == 0) return;
  deliver(s.stream_packets);
  s.publish(in_cell_);
  s.stream_bufs = s.stream_packets = 0;
  answer_delivered();
}

} // namespace ikekit::io::dataplane
