// TCP connections that carry IKE (and ESP) for the engine, RFC 9329: the I/O half of
// lib/ike/tcp_transport.cpp. Non-blocking sockets on the one event loop; framing by
// wire::TcpEncapReader/Writer; what a write(2) could not take stays buffered and goes when
// the socket is writable again.
//
//   initiator (TCP originator): connect(2) when the engine sends in a stream to a peer
//     no connection leads to (Transmit::tcp_originator), "IKETCP" first (RFC 9329 4);
//   responder: listens on TcpStreamsOptions::port of each address, accepts.
//
// One IKE SA per connection (RFC 9329 6.2): the originator opens one for each IKE SA
// (Transmit::connection; the old IKE SA of a rekey shares its successor's), a responder
// answers on the connection the request came on. A connection the originator had set up that breaks
// (EOF, reset, a framing error: RFC 9329 6 closes rather than resynchronises) is reported for every
// IKE SA that used it (BrokenFn): the engine re-establishes it.
//
// ESP (RFC 9329 3.2): the TUN data plane sends a Child SA's ESP on the connection of its
// IKE SA through that connection's StreamWriter (writer_of; WriterFn when the IKE SA
// moves to a new connection), from its own thread; ESP frames read here go to EspFn,
// EspDoneFn after each read(2)'s frames.
//
// DoS limits (RFC 9329 9): at most max_connections at once (more are closed on accept),
// and a connection no IKE SA has answered on within idle_timeout is closed; COOKIEs and
// the half-open limits of the engine apply to what arrives on it as on UDP.
#pragma once

#include "base/result.hpp"
#include "ike/engine.hpp"
#include "io/endpoint.hpp"
#include "io/event_loop.hpp"
#include "io/stream_writer.hpp"
#include "wire/tcp_encap.hpp"

#include <functional>
#include <memory>
#include <optional>
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
  uint64_t connect_failed = 0; // refused, or not connected within connect_timeout
  uint64_t framing_errors = 0; // frames dropped or streams closed
  uint64_t unsent = 0;         // messages with no connection to go to, or over max_pending
  uint64_t esp_in = 0;         // ESP frames read and handed to the data plane
  uint64_t esp_dropped = 0;    // of those, refused (larger than its buffers) or no data plane
};

class TcpStreams {
public:
  using IkeFn = std::function<void(const ike::Datagram& d, TimePoint now)>;
  // ESP from a stream (the data plane opens it; false: it dropped it, esp_dropped);
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
  Conn* connect(const ike::Transmit& t, ike::SaId owner, TimePoint now);
  Conn* adopt(int fd, bool originator, TimePoint now);
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
  std::vector<int> listeners_;
  std::vector<std::unique_ptr<Conn>> conns_; // closed ones until the next on_timeout
  Bytes rx_;                                 // one read(2) buffer for every connection
  TcpStreamsStats stats_;
  StreamWriterStats retired_; // of connections freed
  int wake_fd_ = -1;          // eventfd: a writer's other thread needs the loop
};

} // namespace ikekit::io
