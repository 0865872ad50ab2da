// TCP connections that carry IKE (and ESP) for the engine, RFC 9329: the I/O half of
// lib/ike/tcp_transport.cpp. Non-blocking sockets on the one event loop; framing by
// wire::TcpEncapReader/Writer; what a write(2) could not take stays buffered and goes when
// the socket is writable again.
//
//   initiator (TCP originator): connect(2) when the engine sends in a stream to a peer
//     no connection leads to (Transmit::tcp_originator), "IKETCP" first (RFC 9329 4);
//   responder: listens on TcpStreamsOptions::port of each address, accepts.
//
// One IKE SA per connection (RFC 9329 6.1): the originator opens one for each IKE SA
// (Transmit::connection; the old IKE SA of a rekey shares its successor's), a responder
// answers on the connection the request came on. A connection the originator had set up that breaks
// (EOF, reset, a framing error: RFC 9329 6.1 closes rather than resynchronises) is reported for
// every IKE SA that used it (BrokenFn): the engine re-establishes it.
//
// ESP (RFC 9329 3.2): the TUN data plane sends a Child SA's ESP on the connection of its
// IKE SA through that connection's StreamWriter (writer_of; WriterFn when the IKE SA
// moves to a new connection), from its own thread; ESP frames read here go to EspFn,
// EspDoneFn after each read(2)'s frames.
//
// DoS limits (RFC 9329 10, Security Considerations: TCP adds SYN floods and held
// connections to the responder's attack surface): at most max_connections at once (more are closed
// on accept), and a connection no IKE SA has answered on within idle_timeout is closed; COOKIEs and
// the half-open limits of the engine apply to what arrives on it as on UDP.
#pragma once

#include "base/result.hpp"
#include "ike/engine.hpp"
#include "io/endpoint.hpp"
#include "io/event_loop.hpp"
#include "io/fd.hpp"
#include "io/stream_writer.hpp"
#include "wire/tcp_encap.hpp"

#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <vector>

namespace ikekit::io {

struct TcpStreamsOptions {
  uint16_t port = 4500;          // RFC 9329: the responder's port (the initiator's peer port)
  std::vector<IpAddress> listen; // addresses to accept on; empty: none (initiator only)
  size_t max_connections = 100;  // open at once, both directions
  Duration idle_timeout = std::chrono::seconds(10); // before an IKE SA uses a connection
  // An originator's connect(2) not finished by then is given up (UnreachableFn), as is
  // one refused: IKE_SA_INIT fails then instead of at the end of the overall timeout.
  Duration connect_timeout = std::chrono::seconds(5);
  size_t max_pending = 1 << 20; // bytes buffered for one connection before messages drop
  // Of those, what ESP may fill (the rest stays for IKE); more ESP is dropped (esp_full).
  size_t max_pending_esp = 256 << 10;
};

struct TcpStreamsStats {
  uint64_t connects = 0, accepted = 0, refused = 0; // refused: over max_connections
  uint64_t closed_idle = 0, broken = 0;             // broken: reported to the engine
  // An IKE SA went over to another connection: the originator's reconnect after a break
  // or its MOBIKE move (RFC 9329 6.1, 7.1), or the responder following it there.
  uint64_t reestablished = 0;
  uint64_t connect_failed = 0; // refused, or not connected within connect_timeout
  uint64_t framing_errors = 0; // frames dropped or streams closed
  uint64_t unsent = 0;         // messages with no connection to go to, or over max_pending
  uint64_t esp_in = 0;         // ESP frames read
  // Of those, dropped (the stream stays in step: ESP may be lost, RFC 9329 3.2 carries
  // datagrams): larger than the data plane's receive buffers (a frame may be up to
  // 65535 bytes, RFC 9329 3), or no data plane to take them.
  uint64_t esp_too_large = 0, esp_no_dataplane = 0;
};

// One open connection as ikectl status shows it (TcpStreams::connections()).
struct TcpConnectionView {
  Endpoint local, remote;
  bool originator = false, connected = false;
  std::vector<ike::SaId> sas; // the IKE SAs that send on it
  wire::TcpEncapStats in;     // what its reader took from the stream
  StreamWriterStats out;      // what its writer put in it
  size_t pending_bytes = 0;   // framed, not yet taken by send(2)
  Duration age{};
};

class TcpStreams {
public:
  using IkeFn = std::function<void(const ike::Datagram& d, TimePoint now)>;
  // ESP from a stream (the data plane opens it; false: larger than its buffers,
  // esp_too_large);
  // EspDoneFn after each read's frames.
  using EspFn = std::function<bool(ByteView esp, TimePoint now)>;
  using EspDoneFn = std::function<void()>;
  // The IKE SA `sa` sends on a new connection from now on (its first, or a reconnect).
  using WriterFn = std::function<void(ike::SaId sa, std::shared_ptr<StreamWriter> out)>;
  using BrokenFn = std::function<void(ike::SaId sa, TimePoint now)>;
  // The connection opened for `sa` never came up; `why` names the peer and the cause.
  using UnreachableFn = std::function<void(ike::SaId sa, const std::string& why, TimePoint now)>;
  using DoneFn = std::function<void(TimePoint now)>; // after a batch of input

  // Errc::environment when a listening socket cannot be bound (naming address:port).
  static Result<std::unique_ptr<TcpStreams>> create(EventLoop& loop, TcpStreamsOptions options,
                                                    IkeFn on_ike, BrokenFn on_broken,
                                                    DoneFn on_done);
  ~TcpStreams();
  TcpStreams(const TcpStreams&) = delete;
  TcpStreams& operator=(const TcpStreams&) = delete;

  void set_esp_handler(EspFn fn, EspDoneFn done) {
    on_esp_ = std::move(fn);
    on_esp_done_ = std::move(done);
  }
  void set_writer_hook(WriterFn fn) { on_writer_ = std::move(fn); }
  void set_unreachable_hook(UnreachableFn fn) { on_unreachable_ = std::move(fn); }
  // One IKE message of an engine Transmit (t.stream): framed, written or buffered.
  void send_ike(const ike::Transmit& t, ByteView message, TimePoint now);
  // The writer of the connection the IKE SA `sa` sends on; null when it has none.
  std::shared_ptr<StreamWriter> writer_of(ike::SaId sa) const;
  // The writers' counters (ESP framed and dropped by reason), closed connections included.
  StreamWriterStats writer_stats() const;
  // The IKE SA is gone: a connection no other IKE SA uses is closed.
  void sa_gone(ike::SaId sa);
  // Idle connections; closed ones are freed here.
  void on_timeout(TimePoint now);
  std::optional<TimePoint> next_timeout() const;
  const TcpStreamsStats& stats() const { return stats_; }
  // The connections open now.
  std::vector<TcpConnectionView> connections(TimePoint now) const;
  // The readers' counters (frames, drops by reason, bytes), closed connections included.
  wire::TcpEncapStats reader_stats() const;
  // The sockets' fds (listening and connected), for an XFRM data plane's policy bypass.
  std::vector<int> fds() const;

  struct Conn;

private:
  TcpStreams(EventLoop& loop, TcpStreamsOptions options);
  Result<void> listen_on(const IpAddress& a);
  void on_accept(int listen_fd, TimePoint now);
  void on_wake(TimePoint now);
  void attach(Conn& c, ike::SaId sa);
  void connect_failed(Conn& c, const std::string& why, TimePoint now);
  static void add_writer_stats(StreamWriterStats& to, const StreamWriterStats& s);
  static void add_reader_stats(wire::TcpEncapStats& to, const wire::TcpEncapStats& s);
  Conn* connect(const ike::Transmit& t, ike::SaId owner, TimePoint now);
  Conn* adopt(Fd fd, bool originator, TimePoint now);
  void on_ready(Conn& c, TimePoint now);
  void read_frames(Conn& c, TimePoint now);
  void flush(Conn& c, TimePoint now);
  void close(Conn& c, bool broken, TimePoint now);
  Conn* find(const ike::Transmit& t, ike::SaId owner);
  size_t open_count() const;

  EventLoop& loop_;
  TcpStreamsOptions options_;
  IkeFn on_ike_;
  EspFn on_esp_;
  EspDoneFn on_esp_done_;
  WriterFn on_writer_;
  UnreachableFn on_unreachable_;
  BrokenFn on_broken_;
  DoneFn on_done_;
  std::vector<Fd> listeners_;
  std::vector<std::unique_ptr<Conn>> conns_; // closed ones until the next on_timeout
  Bytes rx_;                                 // one read(2) buffer for every connection
  TcpStreamsStats stats_;
  StreamWriterStats retired_; // of connections freed
  wire::TcpEncapStats retired_in_;
  std::set<ike::SaId> attached_; // IKE SAs that have had a connection (reestablished)
  Fd wake_fd_;                   // eventfd: a writer's other thread needs the loop
};

} // namespace ikekit::io
