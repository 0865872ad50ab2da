#include "io/control_socket.hpp"

#include "base/secret_file.hpp"

#include <cstdio>
#include <cstring>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

namespace ikekit::io {

namespace {

constexpr size_t kReadChunk = 64 * 1024;
constexpr int kReadsPerWake = 4; // fairness: at most 256 KiB from one client per wake-up

Error env_error(const std::string& path, std::string what) {
  return make_error(Errc::environment, "--control-socket", path + ": " + std::move(what));
}

Result<sockaddr_un> unix_address(const std::string& path) {
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof(a.sun_path))
    return make_error(Errc::usage, "--control-socket",
                      "\"" + path + "\": a unix socket path must have 1 to " +
                          std::to_string(sizeof(a.sun_path) - 1) + " bytes");
  std::memcpy(a.sun_path, path.data(), path.size());
  return a;
}

std::string parent_dir(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

// The socket's directory: created 0700 when missing; an existing one must be a real
// directory (not a symlink) owned by us or root that nobody else may write, or another
// user could replace the socket between our bind and a client's connect.
Result<void> check_socket_dir(const std::string& path, const std::string& dir) {
  struct stat st {};
  if (::lstat(dir.c_str(), &st) != 0) {
    if (errno != ENOENT || ::mkdir(dir.c_str(), 0700) != 0)
      return env_error(path, "cannot create its directory " + dir + ": " + std::strerror(errno));
    if (::lstat(dir.c_str(), &st) != 0)
      return env_error(path, "cannot stat its directory " + dir + ": " + std::strerror(errno));
  }
  if (!S_ISDIR(st.st_mode))
    return make_error(Errc::usage, "--control-socket",
                      path + ": " + dir + " is not a directory (a symbolic link?)");
  if (st.st_uid != ::geteuid() && st.st_uid != 0)
    return make_error(Errc::usage, "--control-socket",
                      path + ": its directory " + dir + " is owned by uid " +
                          std::to_string(st.st_uid) + ", not by this user or root");
  if (st.st_mode & 022)
    return make_error(Errc::usage, "--control-socket",
                      path + ": its directory " + dir + " has mode " + octal_mode(st.st_mode) +
                          ", so others could replace the socket; choose a directory only its "
                          "owner may write (the default /run/ikekit is 0700)");
  return {};
}

// Is something listening on the socket file? (connect succeeds)
bool live_socket(const sockaddr_un& a) {
  Fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) return false;
  return ::connect(fd.get(), reinterpret_cast<const sockaddr*>(&a), sizeof(a)) == 0;
}

} // namespace

ControlServer::ControlServer(EventLoop& loop, ike::Engine& engine, ctl::ServiceInfo info,
                             ControlServerOptions options)
    : loop_(loop), service_(engine, std::move(info)), options_(std::move(options)) {}

Result<std::unique_ptr<ControlServer>> ControlServer::create(EventLoop& loop, ike::Engine& engine,
                                                             ctl::ServiceInfo info,
                                                             ControlServerOptions options) {
  std::unique_ptr<ControlServer> s(
      new ControlServer(loop, engine, std::move(info), std::move(options)));
  const std::string& path = s->options_.path;
  auto addr = unix_address(path);
  if (!addr) return addr.error();

  if (auto d = check_socket_dir(path, parent_dir(path)); !d) return d.error();
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode))
      return make_error(Errc::usage, "--control-socket",
                        path + ": exists and is not a socket; remove it or choose another path");
    if (live_socket(*addr))
      return env_error(path, "another process is listening on this socket (another ike-up?); "
                             "stop it or choose another --control-socket");
    ::unlink(path.c_str()); // stale: its process is gone
  }

  s->listen_fd_.reset(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!s->listen_fd_) return env_error(path, std::string("socket: ") + std::strerror(errno));
  // 0600 from the start: no window where others may connect, and no chmod by path
  // afterwards (it would follow a symlink swapped in for the socket).
  mode_t old = ::umask(0177);
  int rc = ::bind(s->listen_fd_.get(), reinterpret_cast<const sockaddr*>(&*addr), sizeof(*addr));
  int err = errno;
  ::umask(old);
  if (rc != 0) return env_error(path, std::string("bind: ") + std::strerror(err));
  if (::lstat(path.c_str(), &st) == 0) s->socket_ino_ = st.st_ino;
  if (::listen(s->listen_fd_.get(), 16) != 0)
    return env_error(path, std::string("listen: ") + std::strerror(errno));

  s->epfd_.reset(::epoll_create1(EPOLL_CLOEXEC));
  if (!s->epfd_) return env_error(path, std::string("epoll_create1: ") + std::strerror(errno));
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = s->listen_fd_.get();
  if (::epoll_ctl(s->epfd_.get(), EPOLL_CTL_ADD, s->listen_fd_.get(), &ev) != 0)
    return env_error(path, std::string("epoll_ctl: ") + std::strerror(errno));
  ControlServer* self = s.get();
  if (auto r = loop.add_reader(s->epfd_.get(), [self](TimePoint now) { self->on_ready(now); }); !r)
    return r.error();
  return s;
}

ControlServer::~ControlServer() {
  if (epfd_) {
    (void)loop_.remove(epfd_.get());
    epfd_.reset();
  }
  clients_.clear(); // closes their sockets
  if (listen_fd_) {
    listen_fd_.reset();
    struct stat st {};
    // Remove the file only if it is still ours (not replaced by another daemon).
    if (::lstat(options_.path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode) &&
        st.st_ino == socket_ino_)
      ::unlink(options_.path.c_str());
  }
}

void ControlServer::on_ready(TimePoint now) {
  ++depth_;
  epoll_event events[64];
  int n = ::epoll_wait(epfd_.get(), events, 64, 0);
  for (int i = 0; i < n; ++i) {
    int fd = events[i].data.fd;
    if (fd == listen_fd_.get()) {
      accept_clients();
      continue;
    }
    auto it = clients_.find(fd);
    if (it != clients_.end() && !it->second->dead) on_client(*it->second, events[i].events, now);
  }
  --depth_;
  sweep();
}

void ControlServer::accept_clients() {
  for (;;) {
    Fd owned(::accept4(listen_fd_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
    if (!owned) return; // EAGAIN, or a transient error (EMFILE): try at the next wake-up
    const int fd = owned.get();
    // The socket's mode is the first gate; the peer's credentials the second, so a
    // socket made reachable by mistake (chmod, a bind mount) still serves only root
    // and the user ike-up runs as.
    ucred peer{};
    socklen_t len = sizeof peer;
    if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &peer, &len) != 0 ||
        (peer.uid != 0 && peer.uid != ::geteuid())) {
      ++stats_.refused_peer;
      std::string line =
          ctl::error_line(ctl::Json(),
                          make_error(Errc::environment, "",
                                     "permission denied: only root and uid " +
                                         std::to_string(::geteuid()) +
                                         " (ike-up's user) may use this control socket")) +
          "\n";
      (void)!::send(fd, line.data(), line.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      continue;
    }
    if (clients_.size() >= options_.max_clients) {
      ++stats_.refused_full;
      std::string line =
          ctl::error_line(ctl::Json(), make_error(Errc::environment, "",
                                                  "too many control clients (" +
                                                      std::to_string(options_.max_clients) + ")")) +
          "\n";
      (void)!::send(fd, line.data(), line.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      continue;
    }
    auto c =
        std::make_unique<Client>(Client{std::move(owned), ctl::Session(service_), false, false});
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLRDHUP;
    ev.data.fd = fd;
    if (::epoll_ctl(epfd_.get(), EPOLL_CTL_ADD, fd, &ev) != 0) continue;
    ++stats_.accepted;
    Client& ref = *c;
    clients_.emplace(fd, std::move(c));
    flush_client(ref); // the hello line
  }
}

void ControlServer::on_client(Client& c, uint32_t events, TimePoint now) {
  if (events & EPOLLOUT) flush_client(c);
  if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
    char buf[kReadChunk];
    bool touched = false;
    for (int i = 0; i < kReadsPerWake && !c.dead; ++i) {
      ssize_t n = ::recv(c.fd.get(), buf, sizeof(buf), MSG_DONTWAIT);
      if (n > 0) {
        touched = c.session.receive(std::string_view(buf, size_t(n)), now) || touched;
        continue;
      }
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
      if (n < 0 && errno == EINTR) continue;
      // 0: the client closed its side. Answers still queued are lost with it.
      ++stats_.closed;
      c.dead = true;
    }
    if (!c.dead) flush_client(c);
    if (touched && options_.flush) options_.flush(now); // may publish() into this client
  }
}

void ControlServer::flush_client(Client& c) {
  while (!c.dead && c.session.output_bytes() > 0) {
    std::string_view out = c.session.output();
    ssize_t n = ::send(c.fd.get(), out.data(), out.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      c.session.consume(size_t(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    ++stats_.closed; // EPIPE, ECONNRESET
    c.dead = true;
  }
  if (c.dead) return;
  if (c.session.output_bytes() > options_.max_output_bytes) {
    ++stats_.dropped_slow; // it does not read: drop it rather than buffer without end
    c.dead = true;
    return;
  }
  bool want = c.session.output_bytes() > 0;
  if (want != c.want_write) {
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLRDHUP | (want ? EPOLLOUT : 0u);
    ev.data.fd = c.fd.get();
    if (::epoll_ctl(epfd_.get(), EPOLL_CTL_MOD, c.fd.get(), &ev) == 0) c.want_write = want;
  }
}

void ControlServer::publish(const ike::Event& event, const ctl::Json& event_json) {
  to_sessions([&](ctl::Session& s) { s.publish(event, event_json); });
}

void ControlServer::publish_json(const ctl::Json& event_json) {
  to_sessions([&](ctl::Session& s) { s.publish_json(event_json); });
}

void ControlServer::to_sessions(const std::function<void(ctl::Session&)>& give) {
  ++depth_;
  for (auto& [fd, c] : clients_) {
    if (c->dead) continue;
    size_t before = c->session.output_bytes();
    give(c->session);
    if (c->session.output_bytes() != before) flush_client(*c);
  }
  --depth_;
  sweep();
}

bool ControlServer::wants_events() const {
  for (const auto& [fd, c] : clients_)
    if (!c->dead && (c->session.monitoring() || c->session.waits() > 0)) return true;
  return false;
}

void ControlServer::sweep() {
  if (depth_ > 0) return;
  for (auto it = clients_.begin(); it != clients_.end();) {
    if (!it->second->dead) {
      ++it;
      continue;
    }
    ::epoll_ctl(epfd_.get(), EPOLL_CTL_DEL, it->first, nullptr);
    it = clients_.erase(it); // closes its socket
  }
}

// ---- client ----

Result<ControlClient> ControlClient::connect(const std::string& path) {
  auto addr = unix_address(path);
  if (!addr) {
    Error e = addr.error();
    e.field = "--socket";
    return e;
  }
  auto env = [&](const std::string& what) {
    return make_error(Errc::environment, "--socket", path + ": " + what);
  };
  Fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) return env(std::string("socket: ") + std::strerror(errno));
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&*addr), sizeof(*addr)) != 0) {
    int err = errno;
    switch (err) {
    case ENOENT:
      return env("no such socket; is ike-up running with --control-socket " + path + "?");
    case EACCES:
    case EPERM:
      return env("permission denied; the control socket is root's (mode 0600): run as root");
    case ECONNREFUSED:
      return env("nobody is listening (a stale socket of an ike-up that has exited?)");
    case ENOTSOCK:
      return env("not a socket");
    default:
      return env(std::string("connect: ") + std::strerror(err));
    }
  }
  return ControlClient(std::move(fd));
}

Result<void> ControlClient::send_line(std::string_view line) {
  std::string data(line);
  data += '\n';
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::send(fd_.get(), data.data() + off, data.size() - off, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0)
      return make_error(Errc::io, "--socket", std::string("send: ") + std::strerror(errno));
    off += size_t(n);
  }
  return {};
}

Result<std::string> ControlClient::read_line(std::optional<Duration> timeout) {
  TimePoint deadline = EventLoop::now() + timeout.value_or(Duration::zero());
  for (;;) {
    if (auto nl = buf_.find('\n'); nl != std::string::npos) {
      std::string line = buf_.substr(0, nl);
      buf_.erase(0, nl + 1);
      return line;
    }
    int wait_ms = -1;
    if (timeout) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - EventLoop::now())
                      .count();
      if (left <= 0) return make_error(Errc::timeout, "--timeout", "no answer from ike-up in time");
      wait_ms = int(left);
    }
    pollfd p{fd_.get(), POLLIN, 0};
    int r = ::poll(&p, 1, wait_ms);
    if (r < 0 && errno == EINTR) continue;
    if (r == 0) continue; // the deadline check above ends it
    char buf[65536];
    ssize_t n = ::recv(fd_.get(), buf, sizeof(buf), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return make_error(Errc::io, "--socket", "ike-up closed the control connection");
    buf_.append(buf, size_t(n));
  }
}

} // namespace ikekit::io
