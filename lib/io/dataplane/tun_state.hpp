// The TUN data plane's per-thread state (tun_dataplane.cpp: setup and control;
// tun_packets.cpp: the packet paths). Private to those two files.
#pragma once

#include "esp/sa_db.hpp"
#include "esp/selector.hpp"
#include "esp/selector_table.hpp"
#include "io/dataplane/os_rng.hpp"
#include "io/dataplane/tun_dataplane.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <memory>
#include <optional>
#include <unordered_map>
#include <vector>

namespace ikekit::io::dataplane {

inline constexpr size_t kBatch = EspSender::kMaxBatch;

inline int64_t wall_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

struct TunDataplane::OutEntry {
  uint32_t spi_in = 0; // the pair it was installed with
  esp::EspSaOut sa;
  EspPeer peer;
  EspMode mode = EspMode::tunnel;
  std::shared_ptr<SaCell> cell; // per-SA counters for child_sa_counters()
  bool rekey_requested = false; // sending thread only
  // Durable sequence numbers (SeqReservation); seq_limit caches reservation->limit.
  std::shared_ptr<SeqReservation> reservation;
  uint64_t seq_limit = 0;

  // Whether the next packet's sequence number is reserved, reloading the limit only
  // when the cached one is used up.
  bool seq_reserved() {
    if (!reservation || sa.next_seq() <= seq_limit) return true;
    seq_limit = reservation->limit.load(std::memory_order_acquire);
    return sa.next_seq() <= seq_limit;
  }
};

struct TunDataplane::InEntry {
  uint32_t spi = 0;
  EspMode mode = EspMode::tunnel;
  IpAddress local;
  IpAddress remote;
  std::shared_ptr<SaCell> cell;
  std::vector<esp::SelectorPair> selectors; // RFC 4301 5.2: what may come in on it
};

struct TunDataplane::TxCommand {
  enum class Op { add, remove } op = Op::add;
  uint32_t slot = 0; // the SA's id in the selector tables and TxState::slots
  std::unique_ptr<OutEntry> entry;
  uint64_t ike_sa = 0;
  esp::SaSelectors selectors;
  std::optional<uint32_t> replaces; // slot of the SA this one rekeys
  uint64_t seq = 0;
};

struct TunDataplane::RxCommand {
  enum class Op { add, remove } op = Op::add;
  std::optional<esp::EspSaIn> sa;
  InEntry entry;
  uint64_t seq = 0;
};

// Everything the sending thread owns.
struct TunDataplane::TxState {
  OsRng rng;
  esp::SelectorTable spd;                       // outbound packet -> slot
  std::vector<std::unique_ptr<OutEntry>> slots; // by slot; null when free
  OutStats retired;                             // SAs removed or replaced
  OutStats local;                               // drops outside any SA, wire bytes
  std::unique_ptr<EspSender> sender;
  size_t stride = 0;
  std::vector<uint8_t> storage; // kBatch buffers of `stride` bytes, allocated once
  std::array<MutBytes, kBatch> reads{};
  std::array<size_t, kBatch> sizes{};
  std::array<ByteView, kBatch> packets{};
  std::array<const EspPeer*, kBatch> peers{};

  void publish(StatsCell<OutStats>& cell) const {
    OutStats s = retired;
    int64_t t = 0;
    auto now = [&t] { return t ? t : (t = wall_ns()); };
    for (const auto& e : slots) {
      if (!e) continue;
      add_seal_stats(s, e->sa.stats());
      if (e->cell) e->cell->update(e->sa.stats().packets, e->sa.stats().bytes, now);
      if (e->reservation) e->reservation->next.store(e->sa.next_seq(), std::memory_order_release);
    }
    s.wire_bytes += local.wire_bytes;
    s.seq_unreserved += local.seq_unreserved;
    s.no_sa += local.no_sa;
    s.not_ip += local.not_ip;
    s.send_dropped += local.send_dropped;
    cell.publish(s);
  }
};

// Everything the receiving thread (or, shared, the caller of handle_esp) owns.
struct TunDataplane::RxState {
  esp::EspSaDb db;
  std::unordered_map<uint32_t, InEntry> entries; // by inbound SPI
  InStats retired;
  InStats local;
  std::unique_ptr<EspReceiver> receiver;
  size_t stride = 0;
  std::vector<uint8_t> storage;
  std::array<MutBytes, kBatch> bufs{};
  std::array<EspDatagram, kBatch> datagrams{};

  const InEntry* find(uint32_t spi) const {
    auto it = entries.find(spi);
    return it == entries.end() ? nullptr : &it->second;
  }
  void publish(StatsCell<InStats>& cell) const {
    InStats s = retired;
    int64_t t = 0;
    auto now = [&t] { return t ? t : (t = wall_ns()); };
    for (const auto& [spi, e] : entries)
      if (const esp::EspSaIn* sa = db.find(spi)) {
        add_open_stats(s, sa->stats());
        if (e.cell) e.cell->update(sa->stats().packets, sa->stats().bytes, now);
      }
    s.unknown_spi += db.unknown_spi();
    s.malformed += db.malformed();
    add_delivery_drops(s, local);
    cell.publish(s);
  }
};

} // namespace ikekit::io::dataplane
