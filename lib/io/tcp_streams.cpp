#include "io/tcp_streams.hpp"

#include "io/netlink_socket.hpp" // errno_text, errno_name
#include "io/stream_writer.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

namespace ikekit::io {

namespace {

constexpr size_t kReadBuffer = 65536;

std::optional<Endpoint> sock_name(int fd, bool peer) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  int r = peer ? getpeername(fd, reinterpret_cast<sockaddr*>(&ss), &len)
               : getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
  if (r < 0) return std::nullopt;
  return from_sockaddr(ss);
}

// TCP_NODELAY (our choice, not an RFC 9329 rule): a small IKE message or ESP packet
// does not wait for the acknowledgement of the previous one.
void set_nodelay(int fd) {
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

Error tcp_error(const std::string& what, int err) {
  Errc code = (err == EACCES || err == EPERM || err == EADDRINUSE || err == EADDRNOTAVAIL)
                  ? Errc::environment
                  : Errc::io;
  return make_error(code, "tcp",
                    "tcp " + what + ": " + errno_text(err) + " (" + std::string(errno_name(err)) +
                        ")");
}

} // namespace

struct TcpStreams::Conn {
  int fd = -1;
  bool originator = false; // we connected (and sent "IKETCP")
  bool connected = false;  // the handshake completed (an originator's connect finished)
  bool closed = false;
  bool writable_watched = false;
  Endpoint local, remote;
  wire::TcpEncapReader reader;
  std::shared_ptr<StreamWriter> out; // also the data plane's sending thread's (ESP)
  std::vector<ike::SaId> sas;        // the IKE SAs that sent on it
  ike::SaId owner = 0;               // an originator's: the IKE SA it was opened for
  TimePoint opened_at{};

  explicit Conn(bool orig) : originator(orig), reader(!orig) {}
};

TcpStreams::TcpStreams(EventLoop& loop, TcpStreamsOptions options)
    : loop_(loop), options_(std::move(options)) {
  rx_.resize(kReadBuffer);
}

TcpStreams::~TcpStreams() {
  for (auto& c : conns_)
    if (!c->closed) {
      (void)loop_.remove(c->fd);
      c->out->close();
    }
  for (const Fd& fd : listeners_)
    (void)loop_.remove(fd.get());
  if (wake_fd_) (void)loop_.remove(wake_fd_.get());
  // The members close the listeners and the eventfd.
}

Result<std::unique_ptr<TcpStreams>> TcpStreams::create(EventLoop& loop, TcpStreamsOptions options,
                                                       IkeFn on_ike, BrokenFn on_broken,
                                                       DoneFn on_done) {
  std::unique_ptr<TcpStreams> s(new TcpStreams(loop, std::move(options)));
  s->on_ike_ = std::move(on_ike);
  s->on_broken_ = std::move(on_broken);
  s->on_done_ = std::move(on_done);
  for (const auto& a : s->options_.listen)
    if (auto r = s->listen_on(a); !r) return r.error();
  s->wake_fd_.reset(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
  if (!s->wake_fd_) return tcp_error("eventfd", errno);
  TcpStreams* self = s.get();
  if (auto r = loop.add_reader(s->wake_fd_.get(), [self](TimePoint now) { self->on_wake(now); });
      !r)
    return r.error();
  return s;
}

// The data plane's sending thread left bytes it could not write (or a write failed):
// watch those sockets for writability here, or close the failed ones.
void TcpStreams::on_wake(TimePoint now) {
  uint64_t n;
  (void)!::read(wake_fd_.get(), &n, sizeof n);
  for (size_t i = 0; i < conns_.size(); ++i) {
    Conn& c = *conns_[i];
    if (!c.closed && c.out->take_signal()) flush(c, now);
  }
}

Result<void> TcpStreams::listen_on(const IpAddress& a) {
  Endpoint local{a, options_.port};
  Fd owned(::socket(a.is_v4() ? AF_INET : AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!owned) return tcp_error("socket", errno);
  const int fd = owned.get();
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (!a.is_v4()) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  sockaddr_storage ss;
  socklen_t len = to_sockaddr(local, ss);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&ss), len) < 0 || ::listen(fd, 64) < 0) {
    int err = errno;
    return tcp_error("listen " + local.to_string(), err);
  }
  listeners_.push_back(std::move(owned));
  return loop_.add_reader(fd, [this, fd](TimePoint now) { on_accept(fd, now); });
}

size_t TcpStreams::open_count() const {
  return size_t(std::count_if(conns_.begin(), conns_.end(), [](auto& c) { return !c->closed; }));
}

void TcpStreams::on_accept(int listen_fd, TimePoint now) {
  for (;;) {
    Fd fd(accept4(listen_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
    if (!fd) return; // EAGAIN, or a connection that went before we took it
    if (open_count() >= options_.max_connections) {
      ++stats_.refused;
      continue;
    }
    ++stats_.accepted;
    if (Conn* c = adopt(std::move(fd), false, now)) c->connected = true;
  }
}

TcpStreams::Conn* TcpStreams::adopt(Fd owned, bool originator, TimePoint now) {
  const int fd = owned.get();
  set_nodelay(fd);
  auto c = std::make_unique<Conn>(originator);
  c->fd = fd;
  c->out = std::make_shared<StreamWriter>(std::move(owned), !originator, wake_fd_.get(),
                                          options_.max_pending, options_.max_pending_esp);
  c->opened_at = now;
  if (auto l = sock_name(fd, false)) c->local = *l;
  if (auto r = sock_name(fd, true)) c->remote = *r;
  Conn* p = c.get();
  if (!loop_.add_reader(fd, [this, p](TimePoint t) { on_ready(*p, t); })) {
    c->out->close();
    return nullptr;
  }
  conns_.push_back(std::move(c));
  return p;
}

// RFC 9329 4: the initiator opens the connection and begins it with "IKETCP".
TcpStreams::Conn* TcpStreams::connect(const ike::Transmit& t, ike::SaId owner, TimePoint now) {
  if (open_count() >= options_.max_connections) return nullptr;
  Endpoint local{t.local.address, 0}, remote{t.remote.address, t.remote.port};
  Fd owned(::socket(local.address.is_v4() ? AF_INET : AF_INET6,
                    SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!owned) return nullptr;
  const int fd = owned.get();
  sockaddr_storage ss;
  socklen_t len = to_sockaddr(local, ss);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&ss), len) < 0) return nullptr;
  len = to_sockaddr(remote, ss);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&ss), len) < 0 && errno != EINPROGRESS)
    return nullptr;
  Conn* c = adopt(std::move(owned), true, now);
  if (!c) return nullptr;
  c->remote = remote; // getpeername fails until connected
  c->owner = owner;
  ++stats_.connects;
  (void)c->out->append_raw(ByteView(wire::kTcpEncapPrefix.data(), wire::kTcpEncapPrefix.size()));
  return c;
}

// RFC 9329 6.1: "Multiple IKE SAs MUST NOT share a single TCP connection, unless one is
// a rekey of an existing IKE SA". The originator's connections are the IKE SAs' own
// (`owner`: Transmit::connection, which the old IKE SA of a rekey shares with its
// successor) from the IKE SA's address; a responder answers on the connection a request
// came on, found by its far end (the peer's address and source port).
TcpStreams::Conn* TcpStreams::find(const ike::Transmit& t, ike::SaId owner) {
  for (auto& c : conns_)
    if (!c->closed && c->originator == t.tcp_originator && c->owner == owner &&
        c->local.address == t.local.address && c->remote.address == t.remote.address &&
        c->remote.port == t.remote.port)
      return c.get();
  return nullptr;
}

void TcpStreams::send_ike(const ike::Transmit& t, ByteView message, TimePoint now) {
  ike::SaId owner = !t.tcp_originator ? 0 : t.connection != 0 ? t.connection : t.sa;
  Conn* c = find(t, owner);
  if (!c && t.tcp_originator) c = connect(t, owner, now);
  if (!c || !c->out->append(wire::UdpKind::ike, message)) {
    ++stats_.unsent; // a responder cannot reconnect: the originator will (RFC 9329 6.1)
    return;
  }
  // The old IKE SA of a rekey (connection: its successor) is not recorded: it goes away
  // silently (no IkeSaDown, no sa_gone), and the successor is the one to reconnect.
  bool own = t.connection == 0 || t.connection == t.sa;
  if (t.sa != 0 && own && std::find(c->sas.begin(), c->sas.end(), t.sa) == c->sas.end())
    attach(*c, t.sa);
  flush(*c, now);
}

// An IKE SA uses one connection at a time: the newest it sent on (the originator's
// reconnect, or the responder following it there, RFC 9329 6.1). A connection it leaves
// that no other IKE SA uses is closed; the data plane's ESP follows to `c`.
void TcpStreams::attach(Conn& c, ike::SaId sa) {
  c.sas.push_back(sa);
  if (!attached_.insert(sa).second) ++stats_.reestablished; // not its first connection
  for (size_t i = 0; i < conns_.size(); ++i) {
    Conn& old = *conns_[i];
    if (&old == &c || old.closed) continue;
    auto it = std::find(old.sas.begin(), old.sas.end(), sa);
    if (it == old.sas.end()) continue;
    old.sas.erase(it);
    if (old.sas.empty()) close(old, false, EventLoop::now());
  }
  if (on_writer_) on_writer_(sa, c.out);
}

std::shared_ptr<StreamWriter> TcpStreams::writer_of(ike::SaId sa) const {
  for (const auto& c : conns_)
    if (!c->closed && std::find(c->sas.begin(), c->sas.end(), sa) != c->sas.end()) return c->out;
  return nullptr;
}

void TcpStreams::flush(Conn& c, TimePoint now) {
  if (c.out->flush() == StreamWriter::Flush::failed) return close(c, true, now);
  bool want = !c.connected || c.out->pending() > 0;
  if (want != c.writable_watched && loop_.watch_writable(c.fd, want)) c.writable_watched = want;
}

void TcpStreams::on_ready(Conn& c, TimePoint now) {
  if (c.closed) return;
  if (!c.connected) { // an originator's connect(2) finished, one way or the other
    int err = 0;
    socklen_t len = sizeof err;
    getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) {
      connect_failed(c, errno_text(err) + " (" + std::string(errno_name(err)) + ")", now);
      return on_done_(now);
    }
    c.connected = true;
    c.out->set_connected();
    if (auto l = sock_name(c.fd, false)) c.local = *l;
  }
  flush(c, now);
  if (!c.closed) read_frames(c, now);
  on_done_(now);
}

void TcpStreams::read_frames(Conn& c, TimePoint now) {
  for (;;) {
    ssize_t n = ::recv(c.fd, rx_.data(), rx_.size(), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    if (n <= 0) return close(c, true, now); // EOF or reset
    c.reader.feed(ByteView(rx_.data(), size_t(n)));
    while (auto f = c.reader.next()) {
      if (!*f) {
        ++stats_.framing_errors;
        continue;
      }
      if ((*f)->kind == wire::UdpKind::esp) {
        ++stats_.esp_in;
        if (!on_esp_)
          ++stats_.esp_no_dataplane;
        else if (!on_esp_((*f)->data, now))
          ++stats_.esp_too_large;
        continue;
      }
      ike::Datagram d{c.local, c.remote, false, (*f)->data, true};
      on_ike_(d, now);
    }
    if (on_esp_done_) on_esp_done_(); // one batch per read(2): opened and delivered together
    // RFC 9329 6.1: a stream that cannot be parsed is closed, not resynchronised.
    if (c.reader.closed()) return close(c, true, now);
  }
}

void TcpStreams::close(Conn& c, bool broken, TimePoint now) {
  if (c.closed) return;
  (void)loop_.remove(c.fd);
  c.out->close();
  c.closed = true;
  // Only the originator re-establishes, and only a connection that was up: one that
  // never connected is the engine's overall timeout to judge.
  if (broken && c.originator && c.connected)
    for (ike::SaId sa : std::vector<ike::SaId>(c.sas)) { // a callback may call sa_gone()
      ++stats_.broken;
      on_broken_(sa, now);
    }
}

void TcpStreams::sa_gone(ike::SaId sa) {
  attached_.erase(sa);
  for (auto& c : conns_) {
    auto it = std::find(c->sas.begin(), c->sas.end(), sa);
    if (it == c->sas.end()) continue;
    c->sas.erase(it);
    if (c->sas.empty()) close(*c, false, EventLoop::now());
  }
}

// RFC 9329: a connection that never came up fails the IKE_SA_INIT waiting for it now,
// naming why, rather than at the end of the engine's overall timeout (~100 s).
void TcpStreams::connect_failed(Conn& c, const std::string& why, TimePoint now) {
  ++stats_.connect_failed;
  std::vector<ike::SaId> sas = c.sas;
  close(c, false, now);
  for (ike::SaId sa : sas)
    if (on_unreachable_)
      on_unreachable_(sa, "tcp connect to " + c.remote.to_string() + ": " + why, now);
}

void TcpStreams::on_timeout(TimePoint now) {
  for (size_t i = 0; i < conns_.size(); ++i) {
    Conn& c = *conns_[i];
    if (!c.closed && c.originator && !c.connected && now - c.opened_at >= options_.connect_timeout)
      connect_failed(c,
                     "not connected after " +
                         std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                                            options_.connect_timeout)
                                            .count()) +
                         " ms",
                     now);
  }
  for (auto& c : conns_)
    if (!c->closed && c->sas.empty() && now - c->opened_at >= options_.idle_timeout) {
      ++stats_.closed_idle;
      close(*c, false, now);
    }
  for (const auto& c : conns_)
    if (c->closed) {
      add_writer_stats(retired_, c->out->stats());
      add_reader_stats(retired_in_, c->reader.stats());
    }
  std::erase_if(conns_, [](const std::unique_ptr<Conn>& c) { return c->closed; });
}

std::optional<TimePoint> TcpStreams::next_timeout() const {
  std::optional<TimePoint> t;
  for (const auto& c : conns_) {
    TimePoint at = c->closed ? TimePoint{} : c->opened_at + options_.idle_timeout;
    if (!c->closed && c->originator && !c->connected)
      at = c->opened_at + options_.connect_timeout;
    else if (!c->closed && !c->sas.empty())
      continue;
    if (!t || at < *t) t = at;
  }
  return t;
}

void TcpStreams::add_writer_stats(StreamWriterStats& to, const StreamWriterStats& s) {
  to.ike_frames += s.ike_frames;
  to.esp_frames += s.esp_frames;
  to.esp_full += s.esp_full;
  to.esp_closed += s.esp_closed;
  to.ike_dropped += s.ike_dropped;
  to.writes += s.writes;
  to.bytes += s.bytes;
}

void TcpStreams::add_reader_stats(wire::TcpEncapStats& to, const wire::TcpEncapStats& s) {
  to.ike += s.ike;
  to.esp += s.esp;
  to.keepalives += s.keepalives;
  for (size_t i = 0; i < wire::kTcpDropReasons; ++i)
    to.dropped[i] += s.dropped[i];
  to.bytes += s.bytes;
}

wire::TcpEncapStats TcpStreams::reader_stats() const {
  wire::TcpEncapStats total = retired_in_;
  for (const auto& c : conns_)
    add_reader_stats(total, c->reader.stats());
  return total;
}

StreamWriterStats TcpStreams::writer_stats() const {
  StreamWriterStats total = retired_;
  for (const auto& c : conns_)
    add_writer_stats(total, c->out->stats());
  return total;
}

std::vector<TcpConnectionView> TcpStreams::connections(TimePoint now) const {
  std::vector<TcpConnectionView> v;
  for (const auto& c : conns_)
    if (!c->closed)
      v.push_back({c->local, c->remote, c->originator, c->connected, c->sas, c->reader.stats(),
                   c->out->stats(), c->out->pending(), now - c->opened_at});
  return v;
}

std::vector<int> TcpStreams::fds() const {
  std::vector<int> v;
  for (const Fd& fd : listeners_)
    v.push_back(fd.get());
  for (const auto& c : conns_)
    if (!c->closed) v.push_back(c->fd);
  return v;
}

} // namespace ikekit::io
