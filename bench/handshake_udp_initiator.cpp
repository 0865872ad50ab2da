#include "bench/handshake_udp_initiator.hpp"

#include "bench/process.hpp"
#include "crypto/system_rng.hpp"
#include "ike/engine.hpp"
#include "io/engine_idle_work.hpp"
#include "io/event_loop.hpp"
#include "io/udp_socket.hpp"
#include "wire/header.hpp"
#include "wire/message.hpp"
#include "wire/payload_notify.hpp"

#include "json/ike_events.hpp"
#include <algorithm>
#include <array>
#include <limits>
#include <signal.h>
#include <time.h>
#include <unordered_map>

namespace ikekit::bench {

namespace {

constexpr const char* kPeerName = "bench";
// IKE messages here stay far below this: encrypted ones are fragmented at 1280 bytes
// (RFC 7383) and IKE_SA_INIT carries at most one KE payload (MODP-8192: 1 KiB).
constexpr size_t kSlotBytes = 8192;
constexpr size_t kBatch = 32;
constexpr auto kProgressEvery = std::chrono::milliseconds(100);

double process_cpu_s() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return double(ts.tv_sec) + double(ts.tv_nsec) * 1e-9;
}

double ms_between(TimePoint a, TimePoint b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

// Datagrams the engine produced for one socket, sent with one sendmmsg.
struct TxQueue {
  io::UdpSocket* socket = nullptr;
  std::vector<uint8_t> storage = std::vector<uint8_t>(kBatch * kSlotBytes);
  std::array<io::SendSlot, kBatch> slots{};
  size_t n = 0;
  MutBytes next() { return MutBytes(storage.data() + n * kSlotBytes, kSlotBytes); }
};

// The one connection of the load generator, to the responder.
Result<ike::PeerConfig> peer_config(const UdpInitiatorOptions& o) {
  ike::PeerConfig p;
  p.name = kPeerName;
  p.local = ike::Endpoint{o.local, io::kIkePort};
  p.remote_address = o.remote;
  p.remote_port = o.remote_port;
  p.ike_proposals = o.ike_proposals;
  auto id = ike::Identity::parse(o.local.to_string());
  if (!id) return id.error();
  p.local_id = std::move(*id);
  p.local_auth = p.remote_auth = ike::AuthMethodKind::psk;
  p.psk = o.psk;
  p.child.name = kPeerName;
  p.child.esp_proposals = o.esp_proposals;
  p.child.local_ts = o.local_ts;
  p.child.remote_ts = o.remote_ts;
  p.send_initial_contact = false; // RFC 7296 2.4: else the responder drops our earlier SAs
  p.dpd_delay = Duration{0};
  return p;
}

// Whether `d` is an IKE_SA_INIT response asking for a COOKIE (RFC 7296 2.6: HDR, N(COOKIE)).
// The header is checked first, so other messages cost no parse.
bool is_cookie_request(ByteView d) {
  auto h = wire::parse_header(d);
  if (!h || h->exchange_type != wire::ExchangeType::ike_sa_init || !h->response()) return false;
  auto msg = wire::parse_message(d);
  if (!msg) return false;
  for (const auto& p : msg->payloads) {
    if (p.payload_type() != wire::PayloadType::n) continue;
    auto n = wire::parse_notify(p.body);
    if (n && n->type == wire::NotifyType::cookie) return true;
  }
  return false;
}

} // namespace

// One initiator engine and the handshakes it has in flight. The load generator never
// deletes an IKE SA it established (a Delete would be measured too), so one engine for
// a whole run would hold every SA's state and keys, and its SA map and timer queue
// would grow with the run: after kRotateEvery handshakes it starts a fresh engine, and
// the old one is dropped once its last handshake finished. (Finding an SA by SPI is a
// hash lookup whatever the engine holds, ike/sa_table.hpp.) The responder keeps all
// its SAs.
struct EngineGen {
  std::unique_ptr<ike::Engine> engine;
  uint64_t id = 0; // key prefix in in_flight
  size_t started = 0;
  size_t in_flight = 0;
};
constexpr size_t kRotateEvery = 256;

struct UdpInitiator::Impl {
  crypto::SystemRng rng;
  ike::Config config;
  std::unique_ptr<io::EventLoop> loop;
  std::unique_ptr<io::UdpSocket> ike_socket, nat_t_socket;
  EngineGen cur, old; // old.engine: the previous engine, until its handshakes are done
  uint64_t next_gen = 1;
  std::vector<uint8_t> rx = std::vector<uint8_t>(kBatch * kSlotBytes);
  std::array<io::RecvSlot, kBatch> rx_slots{};
  TxQueue tx_ike, tx_nat_t;
  // Counters of the engines already dropped, and datagrams offered to the wrong engine.
  uint64_t retired_retransmissions = 0, retired_dropped = 0, retired_spares = 0, misrouted = 0;

  // The current run. Keys: generation << 40 | SaId.
  std::unordered_map<uint64_t, TimePoint> in_flight;
  size_t target = 0, started = 0, concurrency = 1;
  Duration stall_timeout{0};
  UdpLoadStats stats;
  TimePoint last_done{};
  std::optional<Error> error;

  static uint64_t key(const EngineGen& g, ike::SaId sa) { return g.id << 40 | sa; }

  void new_engine(TimePoint now) {
    cur = EngineGen{std::make_unique<ike::Engine>(config, rng, now), next_gen++, 0, 0};
  }
  void retire(EngineGen& g) {
    if (!g.engine) return;
    retired_retransmissions += g.engine->stats().retransmissions;
    retired_dropped += g.engine->stats().dropped_total();
    retired_spares += g.engine->stats().spare_key_exchanges_used;
    g = EngineGen{};
  }
  uint64_t spares_used() const {
    uint64_t n = retired_spares + cur.engine->stats().spare_key_exchanges_used;
    return old.engine ? n + old.engine->stats().spare_key_exchanges_used : n;
  }
  uint64_t retransmissions() const {
    uint64_t n = retired_retransmissions + cur.engine->stats().retransmissions;
    return old.engine ? n + old.engine->stats().retransmissions : n;
  }
  uint64_t dropped() const {
    uint64_t n = retired_dropped + cur.engine->stats().dropped_total();
    return (old.engine ? n + old.engine->stats().dropped_total() : n) - misrouted;
  }
  std::optional<TimePoint> next_timeout() const {
    auto t = cur.engine->next_timeout();
    if (old.engine) {
      auto o = old.engine->next_timeout();
      if (o && (!t || *o < *t)) t = o;
    }
    return t;
  }
  void on_timeout(TimePoint now) {
    if (auto t = cur.engine->next_timeout(); t && *t <= now) cur.engine->on_timeout(now);
    if (old.engine)
      if (auto t = old.engine->next_timeout(); t && *t <= now) old.engine->on_timeout(now);
    pump();
  }

  void flush(TxQueue& q) {
    if (q.n == 0) return;
    auto sent = q.socket->send_batch(std::span<const io::SendSlot>(q.slots.data(), q.n));
    size_t took = sent ? *sent : 0;
    for (size_t i = 0; i < took; ++i)
      stats.bytes_sent += q.slots[i].data.size();
    stats.datagrams_sent += took;
    stats.send_dropped += q.n - took; // the engine retransmits what was lost
    q.n = 0;
  }

  void drain_transmits(ike::Engine& engine) {
    for (;;) {
      // The destination queue is known only after poll_transmit: write into the IKE
      // queue's next slot and move it when it belongs to the NAT-T socket.
      MutBytes out = tx_ike.next();
      auto t = engine.poll_transmit(out);
      if (!t) break;
      TxQueue& q = t->nat_t ? tx_nat_t : tx_ike;
      MutBytes dst = q.next();
      if (&q != &tx_ike) std::copy_n(out.data(), t->size, dst.data());
      q.slots[q.n] = io::SendSlot{ByteView(dst.data(), t->size),
                                  io::Endpoint{t->remote.address, t->remote.port}, t->local.address,
                                  t->nat_t, 0};
      if (++q.n == kBatch) flush(q);
    }
  }

  void start_more(TimePoint now) {
    while (in_flight.size() < concurrency && started < target && !error) {
      if (cur.started >= kRotateEvery && !old.engine) {
        old = std::move(cur);
        new_engine(now);
      }
      auto sa = cur.engine->initiate(kPeerName, now);
      if (!sa) {
        error = sa.error();
        return;
      }
      in_flight.emplace(key(cur, *sa), now);
      ++cur.started;
      ++cur.in_flight;
      ++started;
    }
  }

  void finish(EngineGen& g, ike::SaId sa, bool ok) {
    auto it = in_flight.find(key(g, sa));
    if (it == in_flight.end()) return;
    TimePoint now = io::EventLoop::now();
    if (ok) {
      stats.latency_ms.push_back(ms_between(it->second, now));
      ++stats.completed;
    } else {
      ++stats.failed;
    }
    last_done = now;
    in_flight.erase(it);
    --g.in_flight;
    start_more(now);
  }

  void drain_events(EngineGen& g) {
    while (auto e = g.engine->poll_event()) {
      if (const auto* up = std::get_if<ike::ChildSaUp>(&*e)) {
        finish(g, up->sa, true);
      } else if (const auto* f = std::get_if<ike::Failure>(&*e)) {
        if (stats.first_failure.empty() && in_flight.count(key(g, f->sa)))
          stats.first_failure = json::exchange_name(f->exchange) + "/" +
                                std::string(json::failure_step_name(f->step)) + ": " + f->reason;
        finish(g, f->sa, false);
      } else if (const auto* d = std::get_if<ike::IkeSaDown>(&*e)) {
        if (stats.first_failure.empty() && in_flight.count(key(g, d->sa)))
          stats.first_failure = "ike_sa_down: " + std::string(json::down_reason_name(d->reason));
        finish(g, d->sa, false);
      }
    }
  }

  void pump() {
    if (old.engine) {
      drain_events(old);
      drain_transmits(*old.engine);
    }
    drain_events(cur);
    drain_transmits(*cur.engine);
    flush(tx_ike);
    flush(tx_nat_t);
    if (old.engine && old.in_flight == 0) retire(old);
  }

  void on_readable(io::UdpSocket& s, TimePoint now) {
    auto n = s.recv_batch(rx_slots);
    if (!n) return; // transient; level-triggered epoll calls again
    for (size_t i = 0; i < *n; ++i) {
      const io::RecvSlot& slot = rx_slots[i];
      if (slot.truncated || slot.kind != wire::UdpKind::ike) continue;
      ike::Datagram d;
      d.local = ike::Endpoint{slot.local.value_or(s.local().address), s.local().port};
      d.remote = ike::Endpoint{slot.remote.address, slot.remote.port};
      d.nat_t = s.nat_t();
      d.data = slot.payload();
      stats.bytes_received += d.data.size();
      ++stats.datagrams_received;
      if (is_cookie_request(d.data)) ++stats.cookie_requests;
      // The current engine first; one that does not know the SPIs belongs to the old.
      uint64_t unknown = cur.engine->stats().dropped_for(ike::DropReason::unknown_sa);
      cur.engine->receive(d, now);
      if (old.engine && cur.engine->stats().dropped_for(ike::DropReason::unknown_sa) != unknown) {
        ++misrouted;
        old.engine->receive(d, now);
        drain_events(old);
      }
      // Events right after each datagram: their time stamps do not wait for the batch.
      drain_events(cur);
    }
    pump();
  }
};

UdpInitiator::~UdpInitiator() = default;

Result<Bytes> first_ike_sa_init(const UdpInitiatorOptions& o) {
  auto p = peer_config(o);
  if (!p) return p.error();
  ike::Config config;
  config.peers.push_back(std::move(*p));
  crypto::SystemRng rng;
  TimePoint now = io::EventLoop::now();
  ike::Engine engine(config, rng, now);
  if (auto sa = engine.initiate(kPeerName, now); !sa) return sa.error();
  Bytes out(kSlotBytes);
  auto t = engine.poll_transmit(out);
  if (!t) return make_error(Errc::protocol, "flood", "the engine queued no IKE_SA_INIT request");
  out.resize(t->size);
  return out;
}

Result<std::unique_ptr<UdpInitiator>> UdpInitiator::open(UdpInitiatorOptions o) {
  std::unique_ptr<UdpInitiator> u(new UdpInitiator());
  u->impl_ = std::make_unique<Impl>();
  Impl& m = *u->impl_;
  auto loop = io::EventLoop::create();
  if (!loop) return loop.error();
  m.loop = std::make_unique<io::EventLoop>(std::move(*loop));
  auto ike = io::UdpSocket::open(
      {.local = {o.local, io::kIkePort}, .rcvbuf_bytes = 1 << 21, .sndbuf_bytes = 1 << 21});
  if (!ike) return ike.error();
  m.ike_socket = std::make_unique<io::UdpSocket>(std::move(*ike));
  auto nat_t = io::UdpSocket::open({.local = {o.local, io::kNatTPort},
                                    .nat_t = true,
                                    .rcvbuf_bytes = 1 << 21,
                                    .sndbuf_bytes = 1 << 21});
  if (!nat_t) return nat_t.error();
  m.nat_t_socket = std::make_unique<io::UdpSocket>(std::move(*nat_t));
  m.tx_ike.socket = m.ike_socket.get();
  m.tx_nat_t.socket = m.nat_t_socket.get();
  for (size_t i = 0; i < kBatch; ++i)
    m.rx_slots[i].buffer = MutBytes(m.rx.data() + i * kSlotBytes, kSlotBytes);

  auto p = peer_config(o);
  if (!p) return p.error();
  m.stall_timeout = o.stall_timeout;
  if (o.retransmit_timeout.count() > 0) m.config.retransmit_timeout = o.retransmit_timeout;
  m.config.peers.push_back(std::move(*p));
  m.new_engine(io::EventLoop::now());

  Impl* self = &m;
  for (io::UdpSocket* s : {m.ike_socket.get(), m.nat_t_socket.get()}) {
    auto added =
        m.loop->add_reader(s->fd(), [self, s](TimePoint now) { self->on_readable(*s, now); });
    if (!added) return added.error();
  }
  // As ike-up: the next IKE_SA_INIT's key pair while waiting (Engine::idle_work), so a
  // handshake at concurrency 1 starts without computing its public value.
  io::set_engine_idle_work(*m.loop, [self]() -> ike::Engine& { return *self->cur.engine; });
  m.loop->set_deadline([self] { return self->next_timeout(); },
                       [self](TimePoint now) { self->on_timeout(now); });
  auto sig = m.loop->on_signals({SIGINT, SIGTERM, SIGHUP}, [self](int signo, TimePoint) {
    note_stop_signal(signo); // read here through the loop's signalfd, not the handler
    self->stats.interrupted = true;
    self->loop->stop();
  });
  if (!sig) return sig.error();
  return u;
}

Result<UdpLoadStats> UdpInitiator::run(size_t count, Duration duration, size_t concurrency,
                                       const HandshakeProgressFn& progress,
                                       const std::function<Result<void>()>& check) {
  Impl& m = *impl_;
  m.stats = UdpLoadStats{};
  m.stats.latency_ms.reserve(count ? count : 1 << 16);
  m.in_flight.clear();
  m.in_flight.reserve(concurrency * 2);
  m.target = count ? count : std::numeric_limits<size_t>::max();
  m.started = 0;
  m.concurrency = std::max<size_t>(concurrency, 1);
  m.error.reset();
  uint64_t retransmits0 = m.retransmissions();
  uint64_t dropped0 = m.dropped();
  uint64_t spares0 = m.spares_used();

  TimePoint t0 = io::EventLoop::now();
  double cpu0 = process_cpu_s();
  TimePoint end = count ? TimePoint::max() : t0 + duration;
  m.last_done = t0;
  TimePoint last_progress = t0;
  m.start_more(t0);
  m.pump();
  TimePoint stop_at = t0;
  for (;;) {
    if (m.error) return *m.error;
    TimePoint now = io::EventLoop::now();
    stop_at = now;
    if (count && m.stats.completed + m.stats.failed >= count) break;
    if (now >= end) break;
    if (m.stall_timeout.count() > 0 && now - m.last_done > m.stall_timeout)
      return make_error(
          Errc::timeout, "responder",
          "no handshake finished for " +
              std::to_string(
                  std::chrono::duration_cast<std::chrono::seconds>(m.stall_timeout).count()) +
              " s (" + std::to_string(m.in_flight.size()) + " in flight, " +
              std::to_string(m.stats.completed) + " completed" +
              (m.stats.first_failure.empty() ? "" : ", first failure " + m.stats.first_failure) +
              ")");
    if (now - last_progress >= kProgressEvery) {
      if (progress) progress(m.stats.completed, m.stats.failed);
      if (check)
        if (auto ok = check(); !ok) return ok.error();
      last_progress = now;
    }
    Duration wait = std::min<Duration>(kProgressEvery, end - now);
    auto r = m.loop->run_once(wait);
    if (!r) return r.error();
    if (!*r) break; // a signal stopped the loop
  }
  m.stats.cpu_s = process_cpu_s() - cpu0;
  // A count run ends with its last handshake; a duration run at its end (or the signal).
  TimePoint last = count && !m.stats.interrupted ? m.last_done : std::min(stop_at, end);
  m.stats.elapsed_s = std::chrono::duration<double>(last - t0).count();
  m.stats.abandoned = m.in_flight.size();
  m.in_flight.clear();
  m.cur.in_flight = 0;
  if (m.old.engine) m.retire(m.old);
  m.stats.retransmissions = m.retransmissions() - retransmits0;
  m.stats.input_dropped = m.dropped() - dropped0;
  m.stats.spare_keys_used = m.spares_used() - spares0;
  if (progress) progress(m.stats.completed, m.stats.failed);
  return std::move(m.stats);
}

} // namespace ikekit::bench
