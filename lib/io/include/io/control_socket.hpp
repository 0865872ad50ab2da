// The control socket of ike-up (ikectl(8)): a unix stream socket speaking ikekit.ctl/1
// (lib/ctl), served from the runner's one EventLoop, and the blocking client ikectl uses.
//
// Server: every client fd and the listening socket sit in an inner epoll set that is
// registered on the EventLoop with add_reader (an epoll fd is readable when one of its
// fds is ready), so write readiness works without a writer API on the loop. Reads and
// writes never block. Each client has a Session (framing with the 64 KiB line cap) and
// an output buffer bounded by max_output_bytes: a client that stops reading (a stuck
// `ikectl monitor`, a script that never reads) is dropped when its backlog passes the
// bound, so ike-up never blocks or grows without limit because of a client.
//
//   auto ctl = io::ControlServer::create(runner->loop(), runner->engine(), info, opts);
//   ... in the runner's event callback:  (*ctl)->publish(event, event_json);
#pragma once

#include "base/result.hpp"
#include "base/time.hpp"
#include "ctl/service.hpp"
#include "ctl/session.hpp"
#include "io/event_loop.hpp"
#include "io/fd.hpp"

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace ikekit::io {

struct ControlServerOptions {
  std::string path = std::string(ctl::kDefaultSocketPath);
  size_t max_clients = 32;            // more are answered with an error line and closed
  size_t max_output_bytes = 1u << 20; // per client: unread output beyond this drops it
  // Runs after a command that may have queued engine datagrams (initiate, terminate,
  // rekey, load): the runner sends them now instead of at its next wake-up.
  std::function<void(TimePoint now)> flush;
};

struct ControlServerStats {
  uint64_t accepted = 0;
  uint64_t refused_full = 0; // over max_clients
  uint64_t refused_peer = 0; // SO_PEERCRED: neither root nor ike-up's user
  uint64_t dropped_slow = 0; // output backlog over max_output_bytes
  uint64_t closed = 0;       // ended by the client or an error
};

class ControlServer {
public:
  // Creates the socket (mode 0600; its directory 0700 if missing). Refuses a path that
  // exists and is not a socket (Errc::usage), a directory that is a symlink, foreign
  // (not ours or root's) or writable by group or others (Errc::usage), or a path a live
  // process listens on (Errc::environment); a stale socket file is replaced. The
  // message names the path. Clients other than root and our own user are refused
  // (SO_PEERCRED) with an error line.
  static Result<std::unique_ptr<ControlServer>>
  create(EventLoop& loop, ike::Engine& engine, ctl::ServiceInfo info, ControlServerOptions options);
  ~ControlServer(); // closes the clients, leaves the loop, removes the socket file
  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;

  // An engine event and its ike-up JSON line (json::event_to_json; null for SaKeys).
  void publish(const ike::Event& event, const ctl::Json& event_json);
  // A line of ike-up's own (dataplane_error), to the monitors (ctl::Session::publish_json).
  void publish_json(const ctl::Json& event_json);
  // Whether a client would take an event now (a monitor, or a request waiting for one):
  // with none, publish() does nothing, and its JSON need not be built.
  bool wants_events() const;

  ctl::ControlService& service() { return service_; }
  const std::string& path() const { return options_.path; }
  size_t clients() const { return clients_.size(); }
  const ControlServerStats& stats() const { return stats_; }

private:
  struct Client {
    Fd fd;
    ctl::Session session;
    bool want_write = false; // EPOLLOUT registered
    bool dead = false;
  };

  ControlServer(EventLoop& loop, ike::Engine& engine, ctl::ServiceInfo info,
                ControlServerOptions options);
  void on_ready(TimePoint now);
  void accept_clients();
  void on_client(Client& c, uint32_t events, TimePoint now);
  // `give` to every live client's session, flushing those it gave output.
  void to_sessions(const std::function<void(ctl::Session&)>& give);
  void flush_client(Client& c);
  void sweep();

  EventLoop& loop_;
  ctl::ControlService service_;
  ControlServerOptions options_;
  Fd listen_fd_;
  Fd epfd_; // the inner epoll set
  unsigned long socket_ino_ = 0;
  int depth_ = 0; // > 0 while inside on_ready: closing is deferred to sweep()
  std::unordered_map<int, std::unique_ptr<Client>> clients_;
  ControlServerStats stats_;
};

// ikectl's side: one blocking connection.
class ControlClient {
public:
  // Errc::environment with the path when it is missing, not a socket, not permitted or
  // nobody listens.
  static Result<ControlClient> connect(const std::string& path);
  ControlClient(ControlClient&&) noexcept = default;
  ControlClient& operator=(ControlClient&&) = delete;

  Result<void> send_line(std::string_view line);
  // The next line without '\n'. Errc::timeout after `timeout` (nullopt: wait forever),
  // Errc::io when the server closed the connection.
  Result<std::string> read_line(std::optional<Duration> timeout = std::nullopt);
  int fd() const { return fd_.get(); }

private:
  explicit ControlClient(Fd fd) : fd_(std::move(fd)) {}
  Fd fd_;
  std::string buf_;
};

} // namespace ikekit::io
