// Runs an IKE engine on real UDP sockets: the one event loop (DESIGN 1, lib/io) waits for
// the earliest of socket readiness and the engine's next_timeout(), feeds the engine,
// and drains poll_transmit and poll_event. Ports 500 and 4500 (non-ESP marker, RFC 3948)
// are bound on every local address the configuration uses; ESP arriving on 4500 goes to
// an optional data-plane hook so IKE and ESP share the socket.
#pragma once

#include "base/result.hpp"
#include "base/rng.hpp"
#include "ike/engine.hpp"
#include "io/eap_radius_relay.hpp"
#include "io/engine_dispatcher.hpp"
#include "io/engine_worker.hpp"
#include "io/event_loop.hpp"
#include "io/fd.hpp"
#include "io/tcp_streams.hpp"
#include "io/udp_socket.hpp"

#include <array>
#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace ikekit::io {

struct IkeRunnerOptions {
  ike::Config config;
  std::vector<std::string> initiate;                 // connections to initiate at start
  Duration shutdown_grace = std::chrono::seconds(3); // wait for DELETE answers on exit
  // The RADIUS servers of connections whose EAP is relayed (ike::relay_backend), by
  // connection name (RFC 3579; io/eap_radius_relay.hpp).
  std::map<std::string, RadiusRelayConfig> radius;
  // RFC 9329: when some connection's transport is tcp or auto, streams to peers are
  // opened as it asks and IKE in TCP streams is accepted on config.tcp_port of every
  // local address (a UDP-only runner opens no TCP port).
  TcpStreamsOptions tcp; // port and listen are filled in from config
  // Engines (ike/shard.hpp): 1 runs the one engine on this thread; N > 1 adds N - 1
  // EngineWorker threads. This thread reads the sockets and hands each IKE message to
  // the engine that owns its SA (ike::message_shard); engine 0, on this thread, also
  // initiates. The engines share one AdmissionState (half-open counts, COOKIE secret):
  // the half-open limits and the COOKIE threshold hold for all of them together, and
  // under COOKIE pressure this thread answers IKE_SA_INIT requests without a valid
  // COOKIE itself (io/engine_dispatcher.hpp). Multi-engine configurations must pass
  // check_shardable().
  uint32_t threads = 1;
};

// Why `config` cannot be split over several engines yet (nullopt: it can): state that
// must be shared between engines and is not (address pool leases, RFC 7296 2.19; the
// uniqueness check and INITIAL_CONTACT, 2.4; RADIUS relays; TCP streams, RFC 9329).
std::optional<std::string> check_shardable(const ike::Config& config);
// Engine `index` of `count`'s configuration: the responder's, with its shard (the
// limits are not divided: Config::admission counts for all engines).
ike::Config shard_config(const ike::Config& config, uint32_t index, uint32_t count);

class IkeRunner {
public:
  // Bytes left free before every received datagram's buffer: the TUN data plane opens
  // ESP in place and, in transport mode, writes the inner IP header in front of the
  // payload (RFC 4303 3.1.1).
  static constexpr size_t kRecvHeadroom = 64;
  static constexpr size_t kRecvBatch = 16; // datagrams read per recvmmsg
  using EventFn = std::function<void(const ike::Event&, TimePoint now)>;
  // A batch received on a NAT-T socket that holds UDP-encapsulated ESP (slots of other
  // kinds are in it too; the data plane takes those of kind esp).
  using EspFn = std::function<void(std::span<RecvSlot> slots, TimePoint now)>;
  // When the data plane last sent ESP for the IKE SA (wall clock, ns since the epoch);
  // nullopt or 0: never. RFC 3948 4: a keepalive is skipped when ESP went out since.
  using EspSentFn = std::function<std::optional<int64_t>(ike::SaId sa)>;

  // Binds the sockets (Errc::environment when not permitted, naming address:port).
  static Result<std::unique_ptr<IkeRunner>> create(IkeRunnerOptions options, Rng& rng,
                                                   EventFn on_event);
  ~IkeRunner();

  void set_esp_handler(EspFn fn) { on_esp_ = std::move(fn); }
  void set_esp_sent_probe(EspSentFn fn) { esp_sent_ = std::move(fn); }
  // Binds IKE (`ike_port`) and NAT-T sockets on `local` unless they are bound already
  // (MOBIKE, RFC 4555: the initiator's new address) and reads them in the loop; returns
  // the NAT-T socket. Sockets stay bound when their address goes away: it may return.
  Result<UdpSocket*> bind_local(const IpAddress& local, uint16_t ike_port);
  // The NAT-T socket bound to `local`, for a data plane that sends ESP from it.
  UdpSocket* nat_t_socket(const IpAddress& local);
  // Every socket bound (IKE and NAT-T, all local addresses): the XFRM data plane
  // exempts them from its policies.
  std::vector<UdpSocket*> sockets();
  EventLoop& loop() { return *loop_; }
  // The TCP streams (RFC 9329), when a connection may use them; else null.
  TcpStreams* tcp() { return tcp_.get(); }
  // Engine 0 (the only one with threads 1), on this thread.
  ike::Engine& engine() { return *engine_; }
  uint32_t engine_count() const { return uint32_t(workers_.size() + 1); }
  // Runs fn(engine) on the engine that owns `sa` (ike::sa_shard), safely from this
  // thread. A worker sends what it queued at once; for engine 0 call pump() (as after
  // any engine() call) unless inside an event callback, whose pump drains it.
  void with_engine_of(ike::SaId sa, const std::function<void(ike::Engine&)>& fn);
  // fn(engine) for every engine, engine 0 first.
  void for_each_engine(const std::function<void(ike::Engine&)>& fn);
  // Several engines: what the socket thread answered (COOKIEs) and dropped itself
  // before any engine saw it (io/engine_dispatcher.hpp); one engine: all zero.
  ike::Stats dispatch_stats() const { return dispatcher_ ? dispatcher_->stats() : ike::Stats{}; }
  // The RADIUS client of each eap-radius connection (one each: socket, Identifiers,
  // retransmissions, servers), by connection name.
  const std::map<std::string, std::unique_ptr<EapRadiusRelay>>& radius_relays() const {
    return relays_;
  }

  // Initiates the configured connections, then runs until SIGINT/SIGTERM or stop().
  // On a signal every IKE SA is deleted (INFORMATIONAL with D) and the answers are
  // awaited for shutdown_grace. Errors: socket or initiate failures.
  Result<void> run();
  // Ends run() after the current iteration (from an event callback).
  void stop() { loop_->stop(); }
  // Sends what the engine queued and delivers its events now (after an engine call
  // made outside the runner, e.g. a control-socket command).
  void pump(TimePoint now);

private:
  IkeRunner() = default;
  void on_readable(UdpSocket& s, TimePoint now);
  // A NAT keepalive the engine asked for is not needed: ESP went to the peer within the
  // keepalive interval (the engine is told, and waits a full interval after it).
  bool keepalive_needless(const ike::Transmit& t, TimePoint now);
  Result<void> shutdown();
  // Backend requests of the engine to the RADIUS relays, their answers back; true when
  // the engine was handed an answer (it may have more to send).
  bool relay_eap(TimePoint now);
  std::optional<TimePoint> next_deadline() const;
  Result<void> open_tcp();
  Result<void> start_workers(TimePoint now);
  void deliver_worker_events();
  void deliver_before_wait(); // until no worker has events, with runner_idle_ set

  struct Bound {
    IpAddress address;
    std::unique_ptr<UdpSocket> ike;   // port 500 (or the configured IKE port)
    std::unique_ptr<UdpSocket> nat_t; // port 4500
  };

  IkeRunnerOptions options_;
  std::unique_ptr<EventLoop> loop_;
  std::unique_ptr<ike::Engine> engine_;
  std::vector<Bound> bound_;
  std::map<std::string, std::unique_ptr<EapRadiusRelay>> relays_; // by connection name
  std::unique_ptr<TcpStreams> tcp_;
  // Per worker: its own copies of the sockets (UdpSocket::duplicate) to send from;
  // declared before workers_ so the threads stop before their sockets close.
  std::vector<std::vector<Bound>> worker_bound_;
  std::vector<std::unique_ptr<EngineWorker>> workers_; // engines 1 .. N-1
  std::unique_ptr<EngineDispatcher> dispatcher_;       // with workers: screen and hand-off
  Fd worker_events_fd_;                                // eventfd: a worker queued events
  // This thread is about to wait or waiting: a worker that queued events writes the
  // eventfd only then (it is looked at again before every wait).
  std::atomic<bool> runner_idle_{false};
  std::vector<std::pair<ike::Event, TimePoint>> worker_events_;
  EventFn on_event_;
  EspFn on_esp_;
  EspSentFn esp_sent_;
  std::vector<uint8_t> rx_, tx_; // receive batch buffers and one transmit buffer
  // Room for one receive batch's COOKIE answers (EngineDispatcher), sent together.
  std::array<uint8_t, kRecvBatch * ike::InitScreen::kMaxAnswer> answer_tx_{};
};

} // namespace ikekit::io
