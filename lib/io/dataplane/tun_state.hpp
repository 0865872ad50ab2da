// The TUN data plane's per-thread state (tun_dataplane.cpp: setup and control;
// tun_tx.cpp and tun_rx.cpp: the two directions). Private to those files.
#pragma once

#include "esp/inbound_pipeline.hpp"
#include "esp/outbound_pipeline.hpp"
#include "esp/tcp_coalesce.hpp"
#include "esp/tcp_segment.hpp"
#include "io/dataplane/os_rng.hpp"
#include "io/dataplane/tun_dataplane.hpp"
#include "io/stream_writer.hpp"

#include <array>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unistd.h>
#include <unordered_map>
#include <vector>

namespace ikekit::io::dataplane {

// Packets the sending thread seals and sends per batch: several TSO super-packets.
inline constexpr size_t kTxSlots = EspSender::kMaxBatch;
// Messages per receive call: with UDP GRO each holds up to 64 KiB of datagrams.
inline constexpr size_t kRxMessages = EspReceiver::kMaxBatch;
inline constexpr size_t kRxGroMessages = 16;
inline constexpr size_t kMaxMessage = 65535;
// ESP packets per receive batch (16 GRO messages of up to 64 datagrams).
inline constexpr size_t kRxPackets = esp::TcpCoalescer::kMaxPackets;
static_assert(kRxPackets <= esp::TcpCoalescer::kMaxPackets, "a batch must fit the coalescer");

inline int64_t wall_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Makes an eventfd readable (a thread's wake-up, the owner's rekey or failure
// notice); fails only if its counter is full, when it is readable anyway.
inline void signal_eventfd(int fd) {
  uint64_t one = 1;
  (void)!::write(fd, &one, sizeof one);
}

// SA changes handed from the control thread to one packet thread, applied by that
// thread between two batches; the control side waits until they are (or the thread
// failed). `mu`, `cv` and `failure` are the data plane's.
template <typename Command> class TunDataplane::Channel {
public:
  static constexpr auto kAckTimeout = std::chrono::seconds(5);
  explicit Channel(std::string_view thread) : thread_(thread) {}
  Fd wake;              // eventfd the thread sleeps on besides its device or socket
  bool running = false; // guarded by mu: false applies changes on the caller's thread
  std::atomic<bool> pending{false};

  // Control side, `lock` held on mu.
  Result<void> post(Command c, std::unique_lock<std::mutex>& lock, std::condition_variable& cv,
                    const std::optional<Error>& failure) {
    c.seq = ++posted_;
    const uint64_t seq = c.seq;
    queue_.push_back(std::move(c));
    pending.store(true, std::memory_order_release);
    signal(wake);
    if (!cv.wait_for(lock, kAckTimeout, [&] { return applied_ >= seq || failure; }))
      return make_error(Errc::timeout, "dataplane",
                        "the " + thread_ + " thread did not take the SA change");
    if (applied_ < seq) return *failure;
    return {};
  }
  // Thread side: what was posted, then done() with the last one applied.
  std::vector<Command> take(std::mutex& mu) {
    std::vector<Command> todo;
    std::lock_guard lock(mu);
    todo.swap(queue_);
    pending.store(false, std::memory_order_relaxed);
    return todo;
  }
  void done(std::mutex& mu, std::condition_variable& cv, uint64_t seq) {
    {
      std::lock_guard lock(mu);
      applied_ = std::max(applied_, seq);
    }
    cv.notify_all();
  }
  static void signal(const Fd& fd) { signal_eventfd(fd.get()); }

private:
  std::string thread_;
  std::vector<Command> queue_; // guarded by mu
  uint64_t posted_ = 0, applied_ = 0;
};

struct TunDataplane::TxCommand {
  // add: the SA's UDP ESP leaves from socket `fd`; move: the SAs `slots` send to
  // `peer`, and their UDP ESP leaves from socket `fd` (unless -1), all at once (MOBIKE,
  // a NAT mapping change); stream: only `stream` changes.
  enum class Op { add, remove, move, stream } op = Op::add;
  int fd = -1;
  uint32_t slot = 0;           // the SA's id in the selector tables and the pipeline
  std::vector<uint32_t> slots; // move
  std::optional<esp::OutboundSa> sa;
  EspPeer peer;
  std::shared_ptr<StreamWriter> stream; // RFC 9329: ESP in this TCP stream, not UDP
  std::shared_ptr<SaCell> cell;
  uint64_t ike_sa = 0;
  esp::SaSelectors selectors;
  std::optional<uint32_t> replaces; // slot of the SA this one rekeys
  uint64_t seq = 0;
};

struct TunDataplane::RxCommand {
  enum class Op { add, remove, peer } op = Op::add; // peer: the SAs' expected `source`
  uint32_t spi = 0;
  std::vector<uint32_t> spis; // peer
  esp::EspSource source;
  std::optional<esp::EspSaIn> sa;
  esp::InboundSaInfo info;
  std::shared_ptr<SaCell> cell;
  uint64_t seq = 0;
};

// Everything the sending direction owns; `busy` is held by the thread working on it
// (its own thread, or the receiving thread answering what it delivered: tun_worker.cpp).
struct TunDataplane::TxState {
  std::mutex busy;
  uint64_t reads = 0; // packets read from the device, ever (did a batch move any)
  OsRng rng;
  esp::OutboundPipeline pipeline;
  std::vector<EspPeer> peers;                         // by SA id
  std::vector<std::shared_ptr<SaCell>> cells;         // by SA id
  std::vector<int> fds;                               // by SA id: its UDP socket
  std::vector<std::shared_ptr<StreamWriter>> streams; // by SA id; null: UDP (RFC 9329)
  size_t stream_sas = 0;                              // non-null entries of streams
  std::array<StreamWriter*, kTxSlots> touched{};      // streams written in this batch
  OutStats io;                       // drops at the device or socket: not_ip, no_room, send_dropped
  std::unique_ptr<EspSender> sender; // UDP: sends on each SA's socket in turn
  // Shared mode with plain ESP: one raw socket per address family (by family_index),
  // and how many peers of each family are `plain`.
  std::array<std::unique_ptr<EspSender>, 2> plain_senders;
  std::array<size_t, 2> plain_sas{};
  // Packets split off the batch to go together: plain ESP (send_plain), or one socket's
  // of a batch for several (send_udp).
  std::array<esp::SealedPacket, kTxSlots> split{};
  size_t stride = 0;            // one slot: headroom + MTU + tailroom
  std::vector<uint8_t> storage; // kTxSlots slots, allocated once
  std::vector<uint8_t> super;   // one TSO super-packet (offload)
  esp::TcpSegmenter segmenter;
  std::array<esp::OutPacket, kTxSlots> packets{};
  std::array<esp::SealedPacket, kTxSlots> sealed{};
  size_t count = 0; // packets in the batch

  MutBytes slot(size_t i) { return MutBytes(storage.data() + i * stride, stride); }
  void publish(StatsCell<OutStats>& cell) const {
    OutStats s = pipeline.stats();
    s.not_ip += io.not_ip;
    s.no_room += io.no_room;
    s.send_dropped += io.send_dropped;
    int64_t t = 0;
    auto now = [&t] { return t ? t : (t = wall_ns()); };
    pipeline.for_each_sa([&](uint32_t id, const esp::OutboundSa& o) {
      if (id < cells.size() && cells[id])
        cells[id]->update(o.sa.stats().packets, o.sa.stats().bytes, now);
      if (o.reservation && o.reservation->publish_next(o.sa.next_seq()) &&
          o.reservation->wake_fd >= 0) // the owner reserves more (esp-tunnel's SeqState)
        signal_eventfd(o.reservation->wake_fd);
    });
    cell.publish(s);
  }
};

// Everything the receiving direction (or, shared, the caller of handle_esp) owns; `busy`
// is held by the thread working on it (own socket only: tun_worker.cpp).
struct TunDataplane::RxState {
  std::mutex busy;
  esp::InboundPipeline pipeline;
  std::unordered_map<uint32_t, std::shared_ptr<SaCell>> cells; // by inbound SPI
  std::unique_ptr<EspReceiver> receiver;
  std::array<std::unique_ptr<EspReceiver>, 2> plain_receivers; // shared, plain ESP: by family
  size_t message_size = 0; // bytes per receive buffer (after the headroom)
  size_t messages = 0;     // receive buffers
  std::vector<uint8_t> storage;
  std::array<MutBytes, kRxMessages> bufs{};
  std::array<EspMessage, kRxMessages> received{};
  std::array<esp::InPacket, kRxPackets> in{};
  std::array<esp::EspSource, kRxPackets> sources{}; // in[i].source (shared socket)
  std::vector<esp::PeerChange> peer_changes;        // shared socket: for the caller
  std::array<MutBytes, kRxPackets> delivered{};
  std::array<ByteView, kRxPackets> parts{};
  esp::TcpCoalescer coalescer;
  // ESP read from TCP streams (RFC 9329), copied into bufs (in rx.in) until the batch
  // ends: buffers used and packets waiting.
  size_t stream_bufs = 0, stream_packets = 0;

  void publish(StatsCell<InStats>& cell) const {
    InStats s = pipeline.stats();
    int64_t t = 0;
    auto now = [&t] { return t ? t : (t = wall_ns()); };
    pipeline.for_each_sa([&](uint32_t spi, const esp::OpenStats& o) {
      if (auto it = cells.find(spi); it != cells.end() && it->second)
        it->second->update(o.packets, o.bytes, now);
    });
    cell.publish(s);
  }
};

} // namespace ikekit::io::dataplane
