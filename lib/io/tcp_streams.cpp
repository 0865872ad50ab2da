#include "io/tcp_streams.hpp"

#include "io/netlink_socket.hpp" // errno_text, errno_name

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

namespace ikekit::io {

namespace {

constexpr size_t kReadBuffer = 65536;

ike::Endpoint to_ike(const Endpoint& e) { return ike::Endpoint{e.addr, e.port}; }

std::optional<Endpoint> sock_name(int fd, bool peer) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  int r = peer ? getpeername(fd, reinterpret_cast<sockaddr*>(&ss), &len)
               : getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
  if (r < 0) return std::nullopt;
  return from_sockaddr(ss);
}

// RFC 9329 6: "TCP_NODELAY" keeps a small IKE message or ESP packet from waiting for
// the acknowledgement of the previous one.
void set_nodelay(int fd) {
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

Error tcp_error(std::string what, int err) {
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
  Bytes out; // framed bytes not yet written, from out_off
  size_t out_off = 0;
  std::vector<ike::SaId> sas; // the IKE SAs that sent on it
  TimePoint opened_at{};

  explicit Conn(bool orig) : originator(orig), reader(!orig) {}
  size_t pending() const { return out.size() - out_off; }
};

TcpStreams::TcpStreams(EventLoop& loop, TcpStreamsOptions options)
    : loop_(loop), options_(std::move(options)) {
  rx_.resize(kReadBuffer);
}

TcpStreams::~TcpStreams() {
  for (auto& c : conns_)
    if (!c->closed) {
      (void)loop_.remove(c->fd);
      ::close(c->fd);
    }
  for (int fd : listeners_) {
    (void)loop_.remove(fd);
    ::close(fd);
  }
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
  return s;
}

Result<void> TcpStreams::listen_on(const IpAddress& a) {
  Endpoint local{a, options_.port};
  int fd = ::socket(a.is_v4() ? AF_INET : AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return tcp_error("socket", errno);
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (!a.is_v4()) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  sockaddr_storage ss;
  socklen_t len = to_sockaddr(local, ss);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&ss), len) < 0 || ::listen(fd, 64) < 0) {
    int err = errno;
    ::close(fd);
    return tcp_error("listen " + local.to_string(), err);
  }
  listeners_.push_back(fd);
  return loop_.add_reader(fd, [this, fd](TimePoint now) { on_accept(fd, now); });
}

size_t TcpStreams::open_count() const {
  return size_t(std::count_if(conns_.begin(), conns_.end(), [](auto& c) { return !c->closed; }));
}

void TcpStreams::on_accept(int listen_fd, TimePoint now) {
  for (;;) {
    int fd = accept4(listen_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return; // EAGAIN, or a connection that went before we took it
    if (open_count() >= options_.max_connections) {
      ++stats_.refused;
      ::close(fd);
      continue;
    }
    ++stats_.accepted;
    if (Conn* c = adopt(fd, false, now)) c->connected = true;
  }
}

TcpStreams::Conn* TcpStreams::adopt(int fd, bool originator, TimePoint now) {
  set_nodelay(fd);
  auto c = std::make_unique<Conn>(originator);
  c->fd = fd;
  c->opened_at = now;
  if (auto l = sock_name(fd, false)) c->local = *l;
  if (auto r = sock_name(fd, true)) c->remote = *r;
  Conn* p = c.get();
  if (!loop_.add_reader(fd, [this, p](TimePoint t) { on_ready(*p, t); })) {
    ::close(fd);
    return nullptr;
  }
  conns_.push_back(std::move(c));
  return p;
}

// RFC 9329 4: the initiator opens the connection and begins it with "IKETCP".
TcpStreams::Conn* TcpStreams::connect(const ike::Transmit& t, TimePoint now) {
  if (open_count() >= options_.max_connections) return nullptr;
  Endpoint local{t.local.address, 0}, remote{t.remote.address, t.remote.port};
  int fd = ::socket(local.addr.is_v4() ? AF_INET : AF_INET6,
                    SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return nullptr;
  sockaddr_storage ss;
  socklen_t len = to_sockaddr(local, ss);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&ss), len) < 0) {
    ::close(fd);
    return nullptr;
  }
  len = to_sockaddr(remote, ss);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&ss), len) < 0 && errno != EINPROGRESS) {
    ::close(fd);
    return nullptr;
  }
  Conn* c = adopt(fd, true, now);
  if (!c) return nullptr;
  c->remote = remote; // getpeername fails until connected
  ++stats_.connects;
  c->out.insert(c->out.end(), wire::kTcpEncapPrefix.begin(), wire::kTcpEncapPrefix.end());
  return c;
}

TcpStreams::Conn* TcpStreams::find(const ike::Endpoint& local, const ike::Endpoint& remote) {
  for (auto& c : conns_)
    if (!c->closed && c->local.addr == local.address && c->remote.addr == remote.address &&
        c->remote.port == remote.port)
      return c.get();
  return nullptr;
}

bool TcpStreams::append(Conn& c, wire::UdpKind kind, ByteView body) {
  const size_t overhead =
      kind == wire::UdpKind::ike ? wire::kTcpIkeOverhead : wire::kTcpEspOverhead;
  if (c.pending() + overhead + body.size() > options_.max_pending) return false;
  if (c.out_off == c.out.size()) {
    c.out.clear();
    c.out_off = 0;
  }
  size_t at = c.out.size();
  c.out.resize(at + overhead + body.size());
  MutBytes frame(c.out.data() + at, overhead + body.size());
  if (!wire::write_tcp_frame_header(frame.first(overhead), kind, body.size())) {
    c.out.resize(at);
    return false;
  }
  std::memcpy(frame.data() + overhead, body.data(), body.size());
  return true;
}

void TcpStreams::send_ike(const ike::Transmit& t, ByteView message, TimePoint now) {
  Conn* c = find(t.local, t.remote);
  if (!c && t.tcp_originator) c = connect(t, now);
  if (!c || !append(*c, wire::UdpKind::ike, message)) {
    ++stats_.unsent; // a responder cannot reconnect: the originator will (RFC 9329 6.1)
    return;
  }
  if (t.sa != 0 && std::find(c->sas.begin(), c->sas.end(), t.sa) == c->sas.end())
    c->sas.push_back(t.sa);
  flush(*c, now);
}

bool TcpStreams::queue_esp(ike::SaId sa, ByteView esp) {
  for (auto& c : conns_)
    if (!c->closed && std::find(c->sas.begin(), c->sas.end(), sa) != c->sas.end())
      return append(*c, wire::UdpKind::esp, esp);
  return false;
}

void TcpStreams::flush_esp() {
  TimePoint now = EventLoop::now();
  for (size_t i = 0; i < conns_.size(); ++i)
    if (!conns_[i]->closed && conns_[i]->pending() > 0) flush(*conns_[i], now);
}

void TcpStreams::flush(Conn& c, TimePoint now) {
  while (c.connected && c.pending() > 0) {
    ssize_t n = ::send(c.fd, c.out.data() + c.out_off, c.pending(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      if (errno == EINTR) continue;
      return close(c, true, now);
    }
    c.out_off += size_t(n);
  }
  bool want = !c.connected || c.pending() > 0;
  if (want != c.writable_watched && loop_.watch_writable(c.fd, want)) c.writable_watched = want;
}

void TcpStreams::on_ready(Conn& c, TimePoint now) {
  if (c.closed) return;
  if (!c.connected) { // an originator's connect(2) finished, one way or the other
    int err = 0;
    socklen_t len = sizeof err;
    getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) return close(c, false, now); // never up: the engine's timeout decides
    c.connected = true;
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
        if (on_esp_) on_esp_((*f)->data, now);
        continue;
      }
      ike::Datagram d{to_ike(c.local), to_ike(c.remote), false, (*f)->data, true};
      on_ike_(d, now);
    }
    // RFC 9329 6: a stream that cannot be parsed is closed, not resynchronised.
    if (c.reader.closed()) return close(c, true, now);
  }
}

void TcpStreams::close(Conn& c, bool broken, TimePoint now) {
  if (c.closed) return;
  (void)loop_.remove(c.fd);
  ::close(c.fd);
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
  for (auto& c : conns_) {
    auto it = std::find(c->sas.begin(), c->sas.end(), sa);
    if (it == c->sas.end()) continue;
    c->sas.erase(it);
    if (c->sas.empty()) close(*c, false, EventLoop::now());
  }
}

void TcpStreams::on_timeout(TimePoint now) {
  for (auto& c : conns_)
    if (!c->closed && c->sas.empty() && now - c->opened_at >= options_.idle_timeout) {
      ++stats_.closed_idle;
      close(*c, false, now);
    }
  std::erase_if(conns_, [](const std::unique_ptr<Conn>& c) { return c->closed; });
}

std::optional<TimePoint> TcpStreams::next_timeout() const {
  std::optional<TimePoint> t;
  for (const auto& c : conns_) {
    TimePoint at = c->closed ? TimePoint{} : c->opened_at + options_.idle_timeout;
    if (!c->closed && !c->sas.empty()) continue;
    if (!t || at < *t) t = at;
  }
  return t;
}

std::vector<int> TcpStreams::fds() const {
  std::vector<int> v = listeners_;
  for (const auto& c : conns_)
    if (!c->closed) v.push_back(c->fd);
  return v;
}

} // namespace ikekit::io
