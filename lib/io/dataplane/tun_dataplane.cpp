#include "io/dataplane/tun_dataplane.hpp"

#include "base/hex.hpp"
#include "socket_refs.hpp"
#include "tun_state.hpp"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <net/if.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <utility>

namespace ikekit::io::dataplane {

namespace {

// The selectors the TUN data plane enforces: the spec's, an empty side meaning any
// address of either family (esp-tunnel without --tun-addr or --route).
esp::SaSelectors tun_selectors(const ChildSaSpec& spec) {
  esp::SaSelectors s{spec.local_ts, spec.remote_ts};
  for (auto* side : {&s.local, &s.remote})
    if (side->empty())
      *side = {esp::TrafficSelector{Prefix::any(IpAddress::Family::v4)},
               esp::TrafficSelector{Prefix::any(IpAddress::Family::v6)}};
  return s;
}

// The kernel queues packets for the TUN reader in the device's transmit queue
// (default 500): a burst larger than that while the sending thread seals is dropped
// before we see it, and TCP through the tunnel backs off. A longer queue absorbs it.
void set_tx_queue_len(const std::string& dev, int len) {
  Fd fd(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!fd) return;
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, dev.c_str(), IFNAMSIZ - 1);
  ifr.ifr_qlen = len;
  (void)::ioctl(fd.get(), SIOCSIFTXQLEN, &ifr); // best effort: only a performance knob
}

} // namespace

// ------------------------------------------------------------------ setup

Result<std::unique_ptr<TunDataplane>> TunDataplane::create(const TunDataplaneOptions& o) {
  std::unique_ptr<TunDataplane> dp(new TunDataplane());
  dp->udp_encap_ = o.udp_encap;
  dp->v6_ = !o.local.is_v4();
  dp->shared_ = o.shared_udp_fd >= 0;
  dp->offload_ = o.offload;
  if (o.busy_poll.count() < 0 || o.busy_poll > std::chrono::milliseconds(100))
    return make_error(Errc::bad_value, "busy_poll",
                      std::to_string(o.busy_poll.count()) + " us: expected 0..100000");
  dp->busy_poll_ns_ = std::chrono::nanoseconds(o.busy_poll).count();
  dp->mtu_ = o.tun_config.mtu.value_or(kDefaultMtu);
  if (dp->mtu_ < 576 || dp->mtu_ > 65535 - kMaxOuterOverhead)
    return make_error(Errc::bad_value, "mtu",
                      std::to_string(dp->mtu_) + ": expected 576.." +
                          std::to_string(65535 - kMaxOuterOverhead));
  if (dp->shared_ && !o.udp_encap)
    return make_error(Errc::bad_value, "shared_udp_fd",
                      "a shared socket implies UDP encapsulation");
  dp->tx_ch_ = std::make_unique<Channel<TxCommand>>("sending");
  dp->rx_ch_ = std::make_unique<Channel<RxCommand>>("receiving");
  for (Fd* f : {&dp->rekey_fd_, &dp->failure_fd_, &dp->tx_ch_->wake, &dp->rx_ch_->wake}) {
    int efd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (efd < 0)
      return make_error(Errc::io, "eventfd", std::string("eventfd: ") + std::strerror(errno));
    *f = Fd(efd);
  }

  TunOptions tun_options = o.tun;
  tun_options.vnet_hdr = o.offload;
  auto tun = TunDevice::open(tun_options);
  if (!tun) return tun.error();
  dp->tun_.emplace(std::move(*tun));
  // TSO4/TSO6 with checksum offload: the kernel then sends 64 KiB TCP super-packets.
  if (o.offload)
    if (auto r = dp->tun_->enable_tcp_offloads(); !r) return r.error();
  TunConfig cfg = o.tun_config;
  cfg.mtu = dp->mtu_;
  if (auto r = dp->tun_->configure(cfg); !r) return r.error();
  set_tx_queue_len(dp->tun_->name(), kTunTxQueueLen);

  if (dp->shared_) {
    dp->sockets_ = std::make_unique<SocketRefs>();
    auto own = dp->sockets_->acquire(o.shared_udp_fd); // held for the data plane's life
    if (!own) return own.error();
    dp->esp_fd_ = *own;
  } else {
    auto fd = open_esp_socket(EspSocketOptions{o.local, o.udp_encap, o.port});
    if (!fd) return fd.error();
    dp->own_esp_fd_ = std::move(*fd);
    dp->esp_fd_ = dp->own_esp_fd_.get();
  }
  if (dp->shared_ && o.plain_esp)
    if (auto r = dp->open_plain_sockets(o.local); !r) return r.error();
  if (auto r = dp->setup_buffers(); !r) return r.error();
  return dp;
}

// One unbound raw socket per family: that of `local` (the first connection's) must
// open; the other carries the pairs of connections or MOBIKE moves on that family, where
// the kernel has it (a kernel without IPv6 refuses it; such a pair is then refused).
Result<void> TunDataplane::open_plain_sockets(const IpAddress& local) {
  static constexpr std::array<uint8_t, 16> kAny{};
  const IpAddress addrs[2] = {local, local.is_v4() ? IpAddress::v6(kAny) : IpAddress::v4(kAny)};
  for (const IpAddress& a : addrs) {
    auto fd = open_esp_socket(EspSocketOptions{.local = a, .udp_encap = false, .any_local = true});
    if (!fd && &a == &addrs[0]) return fd.error();
    if (fd) plain_fds_[family_index(a.family())] = std::move(*fd);
  }
  return {};
}

// Per-direction buffers, allocated once (DESIGN 3: no allocation per packet).
Result<void> TunDataplane::setup_buffers() {
  const bool udp_offload = offload_ && udp_encap_;
  tx_ = std::make_unique<TxState>();
  TxState& tx = *tx_;
  tx.sender = std::make_unique<EspSender>(esp_fd_, udp_offload);
  for (size_t f = 0; f < plain_fds_.size(); ++f)
    if (plain_fds_[f])
      tx.plain_senders[f] = std::make_unique<EspSender>(plain_fds_[f].get(), false, true);
  tx.stride = kTxHeadroom + mtu_ + kTxTailroom;
  tx.storage.assign(tx.stride * kTxSlots, 0);
  if (offload_) tx.super.assign(kMaxMessage, 0);

  rx_ = std::make_unique<RxState>();
  RxState& rx = *rx_;
  // UDP GRO on our own socket: one receive brings up to 64 KiB of one sender's ESP.
  const bool gro = udp_offload && !shared_ && enable_udp_gro(esp_fd_);
  rx.receiver = std::make_unique<EspReceiver>(esp_fd_, udp_encap_, v6_);
  for (size_t f = 0; f < plain_fds_.size(); ++f) // a raw IPv4 socket delivers the IP header
    if (plain_fds_[f])
      rx.plain_receivers[f] = std::make_unique<EspReceiver>(plain_fds_[f].get(), false, f == 1);
  rx.message_size = gro ? kMaxMessage : mtu_ + kMaxOuterOverhead + 512;
  rx.messages = gro ? kRxGroMessages : kRxMessages;
  const size_t stride = kRxHeadroom + rx.message_size;
  rx.storage.assign(stride * rx.messages, 0);
  for (size_t i = 0; i < rx.messages; ++i)
    rx.bufs[i] = MutBytes(rx.storage.data() + i * stride + kRxHeadroom, rx.message_size);
  return {};
}

TunDataplane::~TunDataplane() { stop(); }

Result<void> TunDataplane::start() {
  std::lock_guard lock(mu_);
  if (tx_ch_->running || rx_ch_->running) return {};
  stop_ = false;
  tx_thread_ = std::thread([this] { worker_loop(true); });
  tx_ch_->running = true;
  if (!shared_) { // shared: the caller's thread receives (handle_esp)
    rx_thread_ = std::thread([this] { worker_loop(false); });
    rx_ch_->running = true;
  }
  return {};
}

void TunDataplane::stop() {
  if (!tx_ch_ || !rx_ch_) return; // create() failed before the channels existed
  stop_ = true;
  Channel<TxCommand>::signal(tx_ch_->wake);
  Channel<RxCommand>::signal(rx_ch_->wake);
  if (tx_thread_.joinable()) tx_thread_.join();
  if (rx_thread_.joinable()) rx_thread_.join();
  {
    std::lock_guard lock(mu_);
    tx_ch_->running = rx_ch_->running = false;
  }
  // Apply what was posted but never picked up, so the state stays consistent.
  if (tx_) {
    std::lock_guard busy(tx_->busy);
    drain_tx_commands();
  }
  if (rx_) {
    std::lock_guard busy(rx_->busy);
    drain_rx_commands();
  }
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
  Channel<TxCommand>::signal(tx_ch_->wake);
  Channel<RxCommand>::signal(rx_ch_->wake);
  signal_eventfd(failure_fd_.get());
  cv_.notify_all();
}

DataplaneStats TunDataplane::stats() const {
  DataplaneStats s{out_cell_.load(), in_cell_.load()};
  std::lock_guard lock(mu_);
  s.sa_refused = sa_refused_;
  return s;
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
  Channel<TxCommand>::signal(rekey_fd_);
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
  if (!tx_ch_->running) {
    lock.unlock();
    std::lock_guard busy(tx_->busy); // shared mode: the owner's loop may be answering
    apply_tx(c);
    tx_->publish(out_cell_);
    return {};
  }
  return tx_ch_->post(std::move(c), lock, cv_, failure_);
}

Result<void> TunDataplane::post_rx(RxCommand c) {
  std::unique_lock lock(mu_);
  if (!rx_ch_->running) { // not started, or shared socket: the caller's thread owns rx
    lock.unlock();
    std::lock_guard busy(rx_->busy);
    apply_rx(c);
    rx_->publish(in_cell_);
    return {};
  }
  return rx_ch_->post(std::move(c), lock, cv_, failure_);
}

bool TunDataplane::tx_pending() const { return tx_ch_->pending.load(std::memory_order_acquire); }
bool TunDataplane::rx_pending() const { return rx_ch_->pending.load(std::memory_order_acquire); }
int TunDataplane::tx_wake_fd() const { return tx_ch_->wake.get(); }
int TunDataplane::rx_wake_fd() const { return rx_ch_->wake.get(); }

void TunDataplane::drain_tx_commands() {
  auto todo = tx_ch_->take(mu_);
  if (todo.empty()) return;
  for (auto& c : todo)
    apply_tx(c);
  tx_->publish(out_cell_);
  tx_ch_->done(mu_, cv_, todo.back().seq);
}

void TunDataplane::drain_rx_commands() {
  auto todo = rx_ch_->take(mu_);
  if (todo.empty()) return;
  for (auto& c : todo)
    apply_rx(c);
  rx_->publish(in_cell_);
  rx_ch_->done(mu_, cv_, todo.back().seq);
}

void TunDataplane::apply_tx(TxCommand& c) {
  TxState& tx = *tx_;
  if (c.op == TxCommand::Op::add) {
    // The control side's table took the same change: no conflict here.
    tx.pipeline.add(c.slot, c.ike_sa, c.selectors, c.replaces, std::move(*c.sa));
    set_tx_peer(c.slot, c.peer); // grows peers, cells and fds to the slot
    tx.cells[c.slot] = std::move(c.cell);
    tx.fds[c.slot] = c.fd;
    set_tx_stream(c.slot, std::move(c.stream));
    return;
  }
  if (c.op == TxCommand::Op::move) {
    for (uint32_t slot : c.slots) {
      set_tx_peer(slot, c.peer);
      if (c.fd >= 0) tx.fds[slot] = c.fd;
    }
    return;
  }
  if (c.op == TxCommand::Op::stream) return set_tx_stream(c.slot, std::move(c.stream));
  tx.pipeline.remove(c.slot);
  set_tx_peer(c.slot, EspPeer{});
  tx.fds[c.slot] = esp_fd_; // ours of the pair's socket may close once this is taken
  if (c.slot < tx.cells.size()) tx.cells[c.slot].reset();
  set_tx_stream(c.slot, nullptr);
}

void TunDataplane::apply_rx(RxCommand& c) {
  RxState& rx = *rx_;
  if (c.op == RxCommand::Op::add) {
    if (rx.pipeline.add(std::move(*c.sa), std::move(c.info))) rx.cells[c.spi] = std::move(c.cell);
    return;
  }
  if (c.op == RxCommand::Op::peer) {
    for (uint32_t spi : c.spis)
      rx.pipeline.set_peer(spi, c.source);
    return;
  }
  rx.pipeline.remove(c.spi);
  rx.cells.erase(c.spi);
}

Result<void> TunDataplane::install_child_sa(const ChildSaSpec& spec,
                                            std::shared_ptr<StreamWriter> stream, int udp_fd) {
  if (auto v = validate_child_sa(spec); !v) return v.error();
  if (udp_fd >= 0 && !shared_)
    return make_error(Errc::unsupported, "udp_fd",
                      "only a data plane on shared sockets (ike-up) sends from another socket");
  // A stream SA's ESP needs no socket of ours; others one of their family.
  if (auto p = path_for(spec.local, spec.remote, spec.udp_encap, bool(stream), udp_fd); !p)
    return p.error();
  auto in = esp::EspSaIn::create(sa_params(spec.in, spec.replay_window));
  if (!in) return Error(in.error()).within("in");
  esp::SaParams out_params = sa_params(spec.out, 0);
  out_params.soft_limit_seq = spec.soft_limit_seq;
  out_params.first_seq = spec.first_seq_out;
  auto out = esp::EspSaOut::create(out_params, &tx_->rng);
  if (!out) return Error(out.error()).within("out");

  esp::SaSelectors selectors = tun_selectors(spec);
  auto cell_in = std::make_shared<SaCell>();
  auto cell_out = std::make_shared<SaCell>();
  TxCommand tc;
  tc.op = TxCommand::Op::add;
  tc.ike_sa = spec.ike_sa;
  tc.selectors = selectors;
  if (auto r = reserve_slot(spec, selectors, udp_fd, tc); !r) return r;
  {
    std::lock_guard lock(mu_);
    cells_[spec.in.spi] = {cell_in, cell_out};
  }

  // RFC 7296 2.8: the inbound SA first, so the peer's first packet on the new SA is
  // accepted even if it starts sending before we do.
  RxCommand rc;
  rc.op = RxCommand::Op::add;
  rc.spi = spec.in.spi;
  rc.sa.emplace(std::move(*in));
  rc.info = esp::InboundSaInfo{spec.mode, spec.local, spec.remote, esp::selector_pairs(selectors),
                               spec.udp_encap ? spec.remote_port : uint16_t(0)};
  rc.cell = cell_in;
  if (auto r = post_rx(std::move(rc)); !r) return r;

  tc.sa.emplace(esp::OutboundSa{spec.in.spi, std::move(*out), spec.mode, spec.seq_reservation});
  tc.peer = peer_for(spec.local, spec.remote, spec.remote_port, spec.udp_encap);
  tc.cell = cell_out;
  tc.stream = std::move(stream);
  return post_tx(std::move(tc));
}

// The control side's half of an install: the SPI is new, the selectors conflict with
// no other IKE SA's, and the SA gets a slot in the control side's selector table (the
// sending thread's table takes the same change from the TxCommand).
Result<void> TunDataplane::reserve_slot(const ChildSaSpec& spec, const esp::SaSelectors& selectors,
                                        int udp_fd, TxCommand& tc) {
  std::lock_guard lock(mu_);
  if (failure_) return *failure_;
  if (slot_of_.count(spec.in.spi))
    return make_error(Errc::bad_value, "in.spi",
                      "SPI " + to_hex_u32(spec.in.spi) + " is already installed inbound");
  if (auto c = spd_.conflict(spec.ike_sa, selectors)) {
    ++sa_refused_;
    return make_error(Errc::bad_value, "remote_ts",
                      "selectors " + esp::to_string(selectors) +
                          " overlap those of the Child SA with inbound SPI " +
                          to_hex_u32(spi_of_slot_[*c]) +
                          " of another IKE SA: refused, one peer never takes another's traffic");
  }
  auto socket = acquire_socket(udp_fd, 1);
  if (!socket) return socket.error();
  tc.fd = *socket;
  if (spec.replaces_spi_in)
    if (auto it = slot_of_.find(*spec.replaces_spi_in); it != slot_of_.end())
      tc.replaces = it->second;
  if (free_slots_.empty()) {
    free_slots_.push_back(uint32_t(spi_of_slot_.size()));
    spi_of_slot_.push_back(0);
    socket_of_slot_.push_back(-1);
  }
  tc.slot = free_slots_.back();
  free_slots_.pop_back();
  spi_of_slot_[tc.slot] = spec.in.spi;
  socket_of_slot_[tc.slot] = shared_ ? *socket : -1;
  slot_of_[spec.in.spi] = tc.slot;
  spd_.add(tc.slot, spec.ike_sa, selectors, tc.replaces);
  return {};
}

Result<int> TunDataplane::acquire_socket(int udp_fd, size_t pairs) {
  if (!shared_) return esp_fd_;
  return sockets_->acquire(udp_fd >= 0 ? udp_fd : esp_fd_, pairs);
}

void TunDataplane::release_sockets(std::span<const int> fds) {
  std::lock_guard lock(mu_);
  for (int fd : fds)
    if (fd >= 0) sockets_->release(fd);
}

size_t TunDataplane::shared_sockets() const {
  std::lock_guard lock(mu_);
  return sockets_ ? sockets_->size() : 0;
}

Result<std::map<uint32_t, uint32_t>::iterator> TunDataplane::find_slot(uint32_t spi_in) {
  auto it = slot_of_.find(spi_in);
  if (it == slot_of_.end())
    return make_error(Errc::not_found, "spi_in",
                      "no Child SA with inbound SPI " + to_hex_u32(spi_in));
  return it;
}

Result<EspPath> TunDataplane::path_for(const IpAddress& local, const IpAddress& remote,
                                       bool udp_encap, bool stream, int udp_fd) const {
  EspSockets have{.udp_encap = udp_encap_,
                  .family = v6_ ? IpAddress::Family::v6 : IpAddress::Family::v4,
                  .plain_v4 = bool(plain_fds_[0]),
                  .plain_v6 = bool(plain_fds_[1])};
  EspPathRequest want{local, remote, udp_encap, stream, std::nullopt};
  if (udp_fd >= 0) {
    want.udp_family = socket_family(udp_fd);
    if (!want.udp_family)
      return make_error(Errc::io, "socket",
                        "descriptor " + std::to_string(udp_fd) + " is no IP socket");
  }
  return choose_esp_path(have, want);
}

// ESP of a pair without UDP encapsulation goes through the plain socket of its family in
// shared mode; otherwise through the data plane's one socket, as it was opened
// (esp-tunnel).
EspPeer TunDataplane::peer_for(const IpAddress& local, const IpAddress& remote, uint16_t port,
                               bool udp_encap) const {
  if (!udp_encap && udp_encap_) return make_plain_esp_peer(remote, local);
  return make_esp_peer(remote, udp_encap ? port : 0);
}

Result<void> TunDataplane::move_pairs(std::span<const uint32_t> spis_in, const PairPath& to) {
  if (to.udp_fd >= 0 && !shared_)
    return make_error(Errc::unsupported, "socket",
                      "only a data plane on shared sockets (ike-up) changes a pair's socket");
  // ESP in UDP without a socket named: each pair keeps its own (a NAT mapping changed,
  // or plain ESP turned to UDP on the same address), checked per pair below.
  const bool own_sockets = shared_ && to.udp_encap && to.udp_fd < 0;
  if (!own_sockets)
    if (auto p = path_for(to.local, to.remote, to.udp_encap, false, to.udp_fd); !p)
      return p.error();
  TxCommand tc;
  tc.op = TxCommand::Op::move;
  std::vector<int> left; // the sockets the pairs sent from, released once they moved off
  {
    std::lock_guard lock(mu_);
    for (uint32_t spi_in : spis_in) {
      auto it = find_slot(spi_in);
      if (!it) return it.error();
      tc.slots.push_back((*it)->second);
      if (own_sockets) // its socket must be of the new path's family
        if (auto p = path_for(to.local, to.remote, true, false, socket_of_slot_[tc.slots.back()]);
            !p)
          return p.error();
    }
    if (to.udp_fd >= 0 && !tc.slots.empty()) {
      auto socket = acquire_socket(to.udp_fd, tc.slots.size());
      if (!socket) return socket.error();
      tc.fd = *socket;
      for (uint32_t slot : tc.slots)
        left.push_back(std::exchange(socket_of_slot_[slot], *socket));
    }
  }
  tc.peer = peer_for(to.local, to.remote, to.remote_port, to.udp_encap);
  if (auto r = post_tx(std::move(tc)); !r) return r;
  release_sockets(left); // the sending thread sends from the new socket now
  RxCommand rc;
  rc.op = RxCommand::Op::peer;
  rc.spis.assign(spis_in.begin(), spis_in.end());
  rc.source = esp::EspSource{to.remote, to.udp_encap ? to.remote_port : uint16_t(0)};
  return post_rx(std::move(rc));
}

std::optional<int64_t> TunDataplane::last_sent_ns(uint32_t spi_in) const {
  std::lock_guard lock(mu_);
  auto it = cells_.find(spi_in);
  if (it == cells_.end()) return std::nullopt;
  return it->second.second->last_used_ns.load(std::memory_order_relaxed);
}

Result<void> TunDataplane::remove_child_sa(uint32_t spi_in) {
  TxCommand tc;
  tc.op = TxCommand::Op::remove;
  int socket = -1;
  {
    std::lock_guard lock(mu_);
    auto it = find_slot(spi_in);
    if (!it) return it.error();
    tc.slot = (*it)->second;
    socket = std::exchange(socket_of_slot_[tc.slot], -1);
    spd_.remove(tc.slot);
    free_slots_.push_back(tc.slot);
    slot_of_.erase(*it);
    cells_.erase(spi_in);
  }
  if (auto r = post_tx(std::move(tc)); !r) return r;
  release_sockets({&socket, 1}); // the sending thread has forgotten the pair
  RxCommand rc;
  rc.op = RxCommand::Op::remove;
  rc.spi = spi_in;
  return post_rx(std::move(rc));
}

} // namespace ikekit::io::dataplane
