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
#include "io/event_loop.hpp"
#include "io/tcp_streams.hpp"
#include "io/udp_socket.hpp"

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
};

class IkeRunner {
public:
  // Bytes left free before every received datagram's buffer: the TUN data plane opens
  // ESP in place and, in transport mode, writes the inner IP header in front of the
  // payload (RFC 4303 3.1.1).
  static constexpr size_t kRecvHeadroom = 64;
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
  ike::Engine& engine() { return *engine_; }
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
  EventFn on_event_;
  EspFn on_esp_;
  EspSentFn esp_sent_;
  std::vector<uint8_t> rx_, tx_; // receive batch buffers and one transmit buffer
  bool shutting_down_ = false;
};

} // namespace ikekit::io
