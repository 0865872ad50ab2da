#include "io/dataplane/tun_dataplane.hpp"

#include "base/hex.hpp"
#include "esp/outer_ip.hpp"
#include "esp/sa_db.hpp"
#include "io/dataplane/os_rng.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstring>
#include <net/if.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

namespace ikekit::io::dataplane {

namespace {

constexpr size_t kBatch = EspSender::kMaxBatch;
constexpr int kPollMs = 100; // how often an idle thread looks at stop_ and its commands
constexpr auto kAckTimeout = std::chrono::seconds(5);

// The destination of an inner IPv4/IPv6 packet, for the outbound SA lookup; false
// when the packet is not IP or too short.
bool inner_dst(ByteView pkt, IpAddress& dst) {
  if (pkt.empty()) return false;
  uint8_t version = pkt[0] >> 4;
  if (version == 4 && pkt.size() >= esp::kIpv4HeaderLen) {
    dst = IpAddress::v4(pkt.subspan(16, 4));
    return true;
  }
  if (version == 6 && pkt.size() >= esp::kIpv6HeaderLen) {
    dst = IpAddress::v6(pkt.subspan(24, 16));
    return true;
  }
  return false;
}

// The kernel queues packets for the TUN reader in the device's transmit queue
// (default 500): a burst larger than that while the sending thread seals is dropped
// before we see it, and TCP through the tunnel backs off. A longer queue absorbs it.
void set_tx_queue_len(const std::string& dev, int len) {
  int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return;
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, dev.c_str(), IFNAMSIZ - 1);
  ifr.ifr_qlen = len;
  (void)::ioctl(fd, SIOCSIFTXQLEN, &ifr); // best effort: only a performance knob
  ::close(fd);
}

int64_t wall_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

} // namespace

struct TunDataplane::OutEntry {
  uint32_t spi_in = 0; // the pair it was installed with
  std::vector<Prefix> local_ts;
  std::vector<Prefix> remote_ts;
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

  bool covers(const IpAddress& dst) const {
    if (remote_ts.empty()) return true;
    for (const Prefix& p : remote_ts)
      if (prefix_contains(p, dst)) return true;
    return false;
  }
};

struct TunDataplane::InEntry {
  uint32_t spi = 0;
  EspMode mode = EspMode::tunnel;
  IpAddress local;
  IpAddress remote;
  std::shared_ptr<SaCell> cell;
};

struct TunDataplane::TxCommand {
  enum class Op { add, remove } op = Op::add;
  std::unique_ptr<OutEntry> entry;
  uint32_t spi_in = 0;
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
  std::vector<std::unique_ptr<OutEntry>> entries;
  OutStats retired; // SAs removed or replaced
  OutStats local;   // drops outside any SA, wire bytes
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
    for (const auto& e : entries) {
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
  std::vector<InEntry> entries;
  InStats retired;
  InStats local;
  std::unique_ptr<EspReceiver> receiver;
  size_t stride = 0;
  std::vector<uint8_t> storage;
  std::array<MutBytes, kBatch> bufs{};
  std::array<EspDatagram, kBatch> datagrams{};

  const InEntry* find(uint32_t spi) const {
    for (const auto& e : entries)
      if (e.spi == spi) return &e;
    return nullptr;
  }
  void publish(StatsCell<InStats>& cell) const {
    InStats s = retired;
    int64_t t = 0;
    auto now = [&t] { return t ? t : (t = wall_ns()); };
    for (const auto& e : entries)
      if (const esp::EspSaIn* sa = db.find(e.spi)) {
        add_open_stats(s, sa->stats());
        if (e.cell) e.cell->update(sa->stats().packets, sa->stats().bytes, now);
      }
    s.unknown_spi += db.unknown_spi();
    s.malformed += db.malformed();
    s.not_esp += local.not_esp;
    s.bad_inner += local.bad_inner;
    s.deliver_dropped += local.deliver_dropped;
    // A delivered packet the TUN refused or that was not IP still counted as opened.
    s.packets -= std::min(s.packets, local.bad_inner + local.deliver_dropped);
    cell.publish(s);
  }
};

// ------------------------------------------------------------------ setup

Result<std::unique_ptr<TunDataplane>> TunDataplane::create(const TunDataplaneOptions& o) {
  std::unique_ptr<TunDataplane> dp(new TunDataplane());
  dp->udp_encap_ = o.udp_encap;
  dp->v6_ = !o.local.is_v4();
  dp->shared_ = o.shared_udp_fd >= 0;
  dp->mtu_ = o.tun_config.mtu.value_or(kDefaultMtu);
  if (dp->mtu_ < 576 || dp->mtu_ > 65535 - kMaxOuterOverhead)
    return make_error(Errc::bad_value, "mtu",
                      std::to_string(dp->mtu_) + ": expected 576.." +
                          std::to_string(65535 - kMaxOuterOverhead));
  if (dp->shared_ && !o.udp_encap)
    return make_error(Errc::bad_value, "shared_udp_fd",
                      "a shared socket implies UDP encapsulation");

  int efd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (efd < 0)
    return make_error(Errc::io, "rekey_fd", std::string("eventfd: ") + std::strerror(errno));
  dp->rekey_fd_ = Fd(efd);

  auto tun = TunDevice::open(o.tun);
  if (!tun) return tun.error();
  dp->tun_.emplace(std::move(*tun));
  TunConfig cfg = o.tun_config;
  cfg.mtu = dp->mtu_;
  if (auto r = dp->tun_->configure(cfg); !r) return r.error();
  set_tx_queue_len(dp->tun_->name(), kTunTxQueueLen);

  if (dp->shared_) {
    dp->esp_fd_ = o.shared_udp_fd;
  } else {
    auto fd = open_esp_socket(EspSocketOptions{o.local, o.udp_encap, o.port});
    if (!fd) return fd.error();
    dp->own_esp_fd_ = std::move(*fd);
    dp->esp_fd_ = dp->own_esp_fd_.get();
  }

  // Per-direction buffers, allocated once (DESIGN 3: no allocation per packet).
  dp->tx_ = std::make_unique<TxState>();
  TxState& tx = *dp->tx_;
  tx.sender = std::make_unique<EspSender>(dp->esp_fd_);
  tx.stride = kTxHeadroom + dp->mtu_ + kTxTailroom;
  tx.storage.assign(tx.stride * kBatch, 0);
  for (size_t i = 0; i < kBatch; ++i)
    tx.reads[i] = MutBytes(tx.storage.data() + i * tx.stride + kTxHeadroom, dp->mtu_);

  dp->rx_ = std::make_unique<RxState>();
  RxState& rx = *dp->rx_;
  rx.receiver = std::make_unique<EspReceiver>(dp->esp_fd_, o.udp_encap, dp->v6_);
  rx.stride = kRxHeadroom + dp->mtu_ + kMaxOuterOverhead + 512;
  rx.storage.assign(rx.stride * kBatch, 0);
  for (size_t i = 0; i < kBatch; ++i)
    rx.bufs[i] = MutBytes(rx.storage.data() + i * rx.stride + kRxHeadroom, rx.stride - kRxHeadroom);
  return dp;
}

TunDataplane::~TunDataplane() { stop(); }

Result<void> TunDataplane::start() {
  if (tx_running_ || rx_running_) return {};
  stop_ = false;
  tx_thread_ = std::thread([this] { tx_loop(); });
  tx_running_ = true;
  if (!shared_) {
    rx_thread_ = std::thread([this] { rx_loop(); });
    rx_running_ = true;
  }
  return {};
}

void TunDataplane::stop() {
  stop_ = true;
  if (tx_thread_.joinable()) tx_thread_.join();
  if (rx_thread_.joinable()) rx_thread_.join();
  {
    std::lock_guard lock(mu_);
    tx_running_ = rx_running_ = false;
  }
  // Apply what was posted but never picked up, so the state stays consistent.
  drain_tx_commands();
  drain_rx_commands();
  cv_.notify_all();
}

std::optional<Error> TunDataplane::failure() const {
  std::lock_guard lock(mu_);
  return failure_;
}

void TunDataplane::fail(Error e) {
  {
    std::lock_guard lock(mu_);
    if (!failure_) failure_ = std::move(e);
  }
  stop_ = true;
  cv_.notify_all();
}

DataplaneStats TunDataplane::stats() const {
  return DataplaneStats{out_cell_.load(), in_cell_.load()};
}

std::optional<ChildSaCounters> TunDataplane::child_sa_counters(uint32_t spi_in) const {
  std::lock_guard lock(mu_);
  auto it = cells_.find(spi_in);
  if (it == cells_.end()) return std::nullopt;
  const SaCell& in = *it->second.first;
  const SaCell& out = *it->second.second;
  ChildSaCounters c;
  c.bytes_in = in.bytes.load(std::memory_order_relaxed);
  c.packets_in = in.packets.load(std::memory_order_relaxed);
  c.bytes_out = out.bytes.load(std::memory_order_relaxed);
  c.packets_out = out.packets.load(std::memory_order_relaxed);
  c.last_used_ns = std::max(in.last_used_ns.load(std::memory_order_relaxed),
                            out.last_used_ns.load(std::memory_order_relaxed));
  return c;
}

// ------------------------------------------------------------------ control

void TunDataplane::request_rekey(uint32_t spi_in) {
  {
    std::lock_guard lock(mu_);
    rekey_requests_.push_back(spi_in);
  }
  uint64_t one = 1;
  (void)!::write(rekey_fd_.get(), &one, sizeof one); // fails only if the counter is full
}

std::vector<uint32_t> TunDataplane::take_rekey_requests() {
  uint64_t n;
  (void)!::read(rekey_fd_.get(), &n, sizeof n); // EAGAIN when nothing was signalled
  std::vector<uint32_t> v;
  std::lock_guard lock(mu_);
  v.swap(rekey_requests_);
  return v;
}

Result<void> TunDataplane::post_tx(TxCommand c) {
  std::unique_lock lock(mu_);
  if (!tx_running_) {
    lock.unlock();
    apply_tx(c);
    tx_->publish(out_cell_);
    return {};
  }
  c.seq = ++tx_posted_;
  uint64_t seq = c.seq;
  tx_queue_.push_back(std::move(c));
  tx_pending_.store(true, std::memory_order_release);
  if (!cv_.wait_for(lock, kAckTimeout, [&] { return tx_applied_ >= seq || failure_; }))
    return make_error(Errc::timeout, "dataplane", "the sending thread did not take the SA change");
  if (tx_applied_ < seq) return *failure_;
  return {};
}

Result<void> TunDataplane::post_rx(RxCommand c) {
  std::unique_lock lock(mu_);
  if (!rx_running_) { // not started, or shared socket: the caller's thread owns rx
    lock.unlock();
    apply_rx(c);
    rx_->publish(in_cell_);
    return {};
  }
  c.seq = ++rx_posted_;
  uint64_t seq = c.seq;
  rx_queue_.push_back(std::move(c));
  rx_pending_.store(true, std::memory_order_release);
  if (!cv_.wait_for(lock, kAckTimeout, [&] { return rx_applied_ >= seq || failure_; }))
    return make_error(Errc::timeout, "dataplane",
                      "the receiving thread did not take the SA change");
  if (rx_applied_ < seq) return *failure_;
  return {};
}

void TunDataplane::drain_tx_commands() {
  std::vector<TxCommand> todo;
  {
    std::lock_guard lock(mu_);
    todo.swap(tx_queue_);
    tx_pending_.store(false, std::memory_order_relaxed);
  }
  if (todo.empty()) return;
  for (auto& c : todo)
    apply_tx(c);
  tx_->publish(out_cell_);
  {
    std::lock_guard lock(mu_);
    tx_applied_ = std::max(tx_applied_, todo.back().seq);
  }
  cv_.notify_all();
}

void TunDataplane::drain_rx_commands() {
  std::vector<RxCommand> todo;
  {
    std::lock_guard lock(mu_);
    todo.swap(rx_queue_);
    rx_pending_.store(false, std::memory_order_relaxed);
  }
  if (todo.empty()) return;
  for (auto& c : todo)
    apply_rx(c);
  rx_->publish(in_cell_);
  {
    std::lock_guard lock(mu_);
    rx_applied_ = std::max(rx_applied_, todo.back().seq);
  }
  cv_.notify_all();
}

void TunDataplane::apply_tx(TxCommand& c) {
  auto& entries = tx_->entries;
  auto retire = [&](size_t i) {
    add_seal_stats(tx_->retired, entries[i]->sa.stats());
    entries.erase(entries.begin() + long(i));
  };
  if (c.op == TxCommand::Op::add) {
    // The new outbound SA takes over the selectors of an older one (rekey, RFC 7296
    // 2.8); the old inbound SA stays until removed.
    for (size_t i = entries.size(); i-- > 0;)
      if (entries[i]->remote_ts == c.entry->remote_ts && entries[i]->local_ts == c.entry->local_ts)
        retire(i);
    entries.push_back(std::move(c.entry));
  } else {
    for (size_t i = entries.size(); i-- > 0;)
      if (entries[i]->spi_in == c.spi_in) retire(i);
  }
}

void TunDataplane::apply_rx(RxCommand& c) {
  RxState& rx = *rx_;
  if (c.op == RxCommand::Op::add) {
    if (rx.db.add(std::move(*c.sa))) rx.entries.push_back(c.entry);
    return;
  }
  if (const esp::EspSaIn* sa = rx.db.find(c.entry.spi)) add_open_stats(rx.retired, sa->stats());
  rx.db.remove(c.entry.spi);
  std::erase_if(rx.entries, [&](const InEntry& e) { return e.spi == c.entry.spi; });
}

Result<void> TunDataplane::install_child_sa(const ChildSaSpec& spec) {
  if (auto v = validate_child_sa(spec); !v) return v.error();
  if (spec.udp_encap != udp_encap_)
    return make_error(Errc::bad_value, "udp_encap",
                      udp_encap_ ? "this data plane sends ESP in UDP (RFC 3948)"
                                 : "this data plane sends ESP over IP (protocol 50)");
  if (spec.local.is_v4() == v6_)
    return make_error(Errc::bad_value, "local",
                      "address family differs from the data plane's socket");
  {
    std::lock_guard lock(mu_);
    if (failure_) return *failure_;
  }
  auto in = esp::EspSaIn::create(sa_params(spec.in, spec.replay_window));
  if (!in) return Error(in.error()).within("in");
  esp::SaParams out_params = sa_params(spec.out, 0);
  out_params.soft_limit_seq = spec.soft_limit_seq;
  out_params.first_seq = spec.first_seq_out;
  auto out = esp::EspSaOut::create(out_params, &tx_->rng);
  if (!out) return Error(out.error()).within("out");

  // RFC 7296 2.8: the inbound SA first, so the peer's first packet on the new SA is
  // accepted even if it starts sending before we do.
  RxCommand rc;
  rc.op = RxCommand::Op::add;
  rc.sa.emplace(std::move(*in));
  auto cell_in = std::make_shared<SaCell>();
  auto cell_out = std::make_shared<SaCell>();
  rc.entry = InEntry{spec.in.spi, spec.mode, spec.local, spec.remote, cell_in};
  {
    std::lock_guard lock(mu_);
    if (std::find(installed_in_.begin(), installed_in_.end(), spec.in.spi) != installed_in_.end())
      return make_error(Errc::bad_value, "in.spi",
                        "SPI " + to_hex_u32(spec.in.spi) + " is already installed inbound");
    installed_in_.push_back(spec.in.spi);
    cells_[spec.in.spi] = {cell_in, cell_out};
  }
  if (auto r = post_rx(std::move(rc)); !r) return r;

  auto entry = std::make_unique<OutEntry>(OutEntry{
      spec.in.spi, spec.local_ts, spec.remote_ts, std::move(*out),
      make_esp_peer(spec.remote, spec.udp_encap ? spec.remote_port : 0), spec.mode, cell_out});
  entry->reservation = spec.seq_reservation;
  TxCommand tc;
  tc.op = TxCommand::Op::add;
  tc.entry = std::move(entry);
  return post_tx(std::move(tc));
}

Result<void> TunDataplane::remove_child_sa(uint32_t spi_in) {
  {
    std::lock_guard lock(mu_);
    auto it = std::find(installed_in_.begin(), installed_in_.end(), spi_in);
    if (it == installed_in_.end())
      return make_error(Errc::not_found, "spi_in",
                        "no Child SA with inbound SPI " + to_hex_u32(spi_in));
    installed_in_.erase(it);
    cells_.erase(spi_in);
  }
  TxCommand tc;
  tc.op = TxCommand::Op::remove;
  tc.spi_in = spi_in;
  if (auto r = post_tx(std::move(tc)); !r) return r;
  RxCommand rc;
  rc.op = RxCommand::Op::remove;
  rc.entry.spi = spi_in;
  return post_rx(std::move(rc));
}

// ------------------------------------------------------------------ packet paths

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
    IpAddress dst;
    for (size_t i = 0; i < *n; ++i) {
      MutBytes buf(s.storage.data() + i * s.stride, s.stride);
      ByteView pkt(buf.data() + kTxHeadroom, s.sizes[i]);
      if (!inner_dst(pkt, dst)) {
        ++s.local.not_ip;
        continue;
      }
      OutEntry* e = nullptr;
      for (auto& cand : s.entries)
        if (cand->covers(dst)) {
          e = cand.get();
          break;
        }
      if (!e) {
        ++s.local.no_sa;
        continue;
      }
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
