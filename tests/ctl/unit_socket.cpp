// The control socket server (lib/io/control_socket) on a real unix socket in a temporary
// directory: no root needed. One thread: the client writes, the loop runs once, the
// client reads.
#include "io/control_socket.hpp"
#include "require_all.hpp"
#include "sim.hpp"
#include "test_files.hpp"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace ikekit;
using namespace ikekit::ike::test;
using ikekit::io::EventLoop;

namespace {

std::unique_ptr<EventLoop> make_loop() {
  auto l = EventLoop::create();
  REQUIRE(l);
  return std::make_unique<EventLoop>(std::move(*l));
}

struct Daemon {
  ikekit::test::TempDir dir{"ctl"};
  std::string sock = dir.path + "/run/ike-up.sock"; // run/ does not exist yet: created 0700
  SeededRng rng{7};
  ike::Engine engine{config_with(psk_peer("home", "10.0.0.1", "10.0.0.2")), rng, TimePoint{}};
  std::unique_ptr<EventLoop> loop_ptr = make_loop();
  EventLoop& loop = *loop_ptr;
  std::unique_ptr<io::ControlServer> server;
  int flushes = 0;

  explicit Daemon(size_t max_output = 1u << 20) {
    io::ControlServerOptions o;
    o.path = sock;
    o.max_output_bytes = max_output;
    o.flush = [this](TimePoint) { ++flushes; };
    auto s = io::ControlServer::create(
        loop, engine, ctl::ServiceInfo{"ike-up test", "none", "", EventLoop::now(), 1}, o);
    REQUIRE(s);
    server = std::move(*s);
  }
  void spin(int times = 3) {
    for (int i = 0; i < times; ++i) {
      auto r = loop.run_once(std::chrono::milliseconds(20));
      REQUIRE(r);
    }
  }
};

ctl::Json read_json(io::ControlClient& c) {
  auto line = c.read_line(std::chrono::seconds(2));
  REQUIRE(line);
  return ctl::Json::parse(*line);
}

} // namespace

TEST_CASE("socket: hello, then a request is answered; the socket is 0600 in a 0700 directory",
          "[ctl][socket]") {
  Daemon d;
  struct stat st {};
  REQUIRE(::stat(d.sock.c_str(), &st) == 0);
  CHECK(S_ISSOCK(st.st_mode));
  CHECK((st.st_mode & 0777) == 0600);
  REQUIRE(::stat((d.dir.path + "/run").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0700);

  auto c = io::ControlClient::connect(d.sock);
  REQUIRE(c);
  d.spin();
  auto hello = read_json(*c);
  CHECK(hello["type"] == "hello");
  CHECK(hello["schema"] == "ikekit.ctl/1");
  REQUIRE(c->send_line(R"({"id":1,"command":"list-conns"})"));
  d.spin();
  auto r = read_json(*c);
  CHECK(r["id"] == 1);
  CHECK(r["result"]["connections"][0]["name"] == "home");
  CHECK(d.server->clients() == 1);
}

TEST_CASE("socket: partial lines, several requests in one write, bad lines, oversized lines",
          "[ctl][socket]") {
  Daemon d;
  auto c = io::ControlClient::connect(d.sock);
  REQUIRE(c);
  d.spin();
  read_json(*c);
  REQUIRE(::send(c->fd(), "{\"id\":1,\"comm", 13, 0) == 13);
  d.spin();
  REQUIRE(c->send_line(R"(and":"status"}
{nope
{"id":3,"command":"frobnicate"})"));
  d.spin();
  CHECK(read_json(*c)["result"]["version"] == "ike-up test");
  CHECK(read_json(*c)["error"]["field"] == "line");
  CHECK(read_json(*c)["error"]["field"] == "command");
  std::string big(ctl::kMaxLineBytes * 3, 'x');
  REQUIRE(c->send_line(big)); // fits the socket buffers together with the loop's reads
  d.spin(10);
  auto over = read_json(*c);
  CHECK(over["error"]["code"] == "bad_length");
  REQUIRE(c->send_line(R"({"id":4,"command":"status"})"));
  d.spin();
  CHECK(read_json(*c)["id"] == 4);
  CHECK(d.flushes == 0);
  REQUIRE(c->send_line(R"({"id":5,"command":"initiate","args":{"name":"home"}})"));
  d.spin();
  CHECK(read_json(*c)["ok"] == true);
  CHECK(d.flushes == 1); // the runner is asked to send the IKE_SA_INIT now
}

TEST_CASE("socket: a monitor that never reads is dropped; other clients are still answered",
          "[ctl][socket]") {
  Daemon d(64 * 1024);
  auto slow = io::ControlClient::connect(d.sock);
  REQUIRE(slow);
  REQUIRE(slow->send_line(R"({"id":1,"command":"monitor"})"));
  d.spin();
  CHECK(d.server->clients() == 1);
  // Events of ~1 KiB: the kernel buffers fill, then the server's backlog passes 64 KiB.
  ctl::Json ev = {{"type", "failure"}, {"reason", std::string(1000, 'r')}};
  ike::Event e = ike::Failure{};
  for (int i = 0; i < 5000 && d.server->clients() > 0; ++i)
    d.server->publish(e, ev);
  CHECK(d.server->clients() == 0);
  CHECK(d.server->stats().dropped_slow == 1);

  auto fast = io::ControlClient::connect(d.sock);
  REQUIRE(fast);
  d.spin();
  read_json(*fast);
  REQUIRE(fast->send_line(R"({"id":2,"command":"status"})"));
  d.spin();
  CHECK(read_json(*fast)["ok"] == true);
}

TEST_CASE("socket: ike-up's own lines (publish_json, dataplane_error) reach monitors only",
          "[ctl][socket]") {
  Daemon d;
  auto mon = io::ControlClient::connect(d.sock);
  REQUIRE(mon);
  auto other = io::ControlClient::connect(d.sock);
  REQUIRE(other);
  d.spin();
  read_json(*mon);
  read_json(*other);
  REQUIRE(mon->send_line(R"({"id":"m","command":"monitor"})"));
  d.spin();
  CHECK(read_json(*mon)["result"]["subscribed"] == true);
  ctl::Json line = {{"type", "dataplane_error"},
                    {"fatal", true},
                    {"error", {{"code", "io"}, {"field", "tun"}, {"message", "gone"}}}};
  d.server->publish_json(line);
  d.spin();
  auto got = read_json(*mon);
  CHECK(got["type"] == "event");
  CHECK(got["id"] == "m");
  CHECK(got["event"] == line);
  // The client that only asks gets its answer next, no event before it.
  REQUIRE(other->send_line(R"({"id":2,"command":"status"})"));
  d.spin();
  auto answer = read_json(*other);
  CHECK(answer["id"] == 2);
  CHECK(answer["ok"] == true);
}

TEST_CASE("socket: a client that connects and sends nothing does not hold up others",
          "[ctl][socket]") {
  Daemon d;
  auto idle = io::ControlClient::connect(d.sock);
  REQUIRE(idle);
  auto c = io::ControlClient::connect(d.sock);
  REQUIRE(c);
  d.spin();
  read_json(*c);
  REQUIRE(c->send_line(R"({"id":1,"command":"status"})"));
  d.spin();
  CHECK(read_json(*c)["ok"] == true);
  CHECK(d.server->clients() == 2);
}

TEST_CASE("socket: the path is refused when it is not a socket or another process listens",
          "[ctl][socket]") {
  ikekit::test::TempDir dir("ctl");
  SeededRng rng{1};
  ike::Engine engine{ike::Config{}, rng, TimePoint{}};
  auto loop = EventLoop::create();
  REQUIRE(loop);
  io::ControlServerOptions o;
  o.path = dir.path + "/file";
  std::ofstream(o.path) << "x";
  auto not_sock = io::ControlServer::create(*loop, engine, {}, o);
  REQUIRE_FALSE(not_sock);
  CHECK(not_sock.error().code == Errc::usage);
  CHECK(not_sock.error().message.find("not a socket") != std::string::npos);
  CHECK(not_sock.error().message.find(o.path) != std::string::npos);

  o.path = dir.path + "/live.sock";
  auto first = io::ControlServer::create(*loop, engine, {}, o);
  REQUIRE(first);
  auto second = io::ControlServer::create(*loop, engine, {}, o);
  REQUIRE_FALSE(second);
  CHECK(second.error().code == Errc::environment);
  CHECK(second.error().message.find("another process is listening") != std::string::npos);
  first->reset(); // removes its socket file
  struct stat st {};
  CHECK(::lstat(o.path.c_str(), &st) != 0);

  // A stale socket file (nobody listening) is replaced.
  int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  std::snprintf(a.sun_path, sizeof(a.sun_path), "%s", o.path.c_str());
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0);
  ::close(fd);
  auto third = io::ControlServer::create(*loop, engine, {}, o);
  CHECK(third);

  o.path = std::string(200, 'p');
  auto too_long = io::ControlServer::create(*loop, engine, {}, o);
  REQUIRE_FALSE(too_long);
  CHECK(too_long.error().code == Errc::usage);
}

TEST_CASE("client: a missing or refused socket is an environment error naming the path",
          "[ctl][socket]") {
  ikekit::test::TempDir dir("ctl");
  auto missing = io::ControlClient::connect(dir.path + "/none.sock");
  REQUIRE_FALSE(missing);
  CHECK(missing.error().code == Errc::environment);
  CHECK(missing.error().message.find(dir.path + "/none.sock") != std::string::npos);
  CHECK(missing.error().field == "--socket");
}

TEST_CASE("socket: a directory others may write, a symlinked or foreign one is refused",
          "[ctl][socket]") {
  ikekit::test::TempDir dir("ctl");
  SeededRng rng{1};
  ike::Engine engine{ike::Config{}, rng, TimePoint{}};
  auto loop = EventLoop::create();
  REQUIRE(loop);
  io::ControlServerOptions o;
  auto refused = [&](const std::string& snippet) {
    auto s = io::ControlServer::create(*loop, engine, {}, o);
    REQUIRE_FALSE(s);
    CHECK(s.error().code == Errc::usage);
    CHECK(s.error().field == "--control-socket");
    CHECK(s.error().message.find(snippet) != std::string::npos);
  };
  const std::string open_dir = dir.path + "/open";
  REQUIRE(::mkdir(open_dir.c_str(), 0700) == 0);
  ::chmod(open_dir.c_str(), 01777); // like /tmp
  o.path = open_dir + "/ike-up.sock";
  refused("has mode 1777");
  ::chmod(open_dir.c_str(), 0770);
  refused("has mode 0770");

  const std::string link = dir.path + "/link";
  REQUIRE(::symlink(open_dir.c_str(), link.c_str()) == 0);
  ::chmod(open_dir.c_str(), 0700);
  o.path = link + "/ike-up.sock";
  refused("is not a directory");
  o.path = open_dir + "/ike-up.sock";
  CHECK(io::ControlServer::create(*loop, engine, {}, o)); // 0700 and ours: fine

  if (::geteuid() == 0) { // a directory of another user (root can make one)
    const std::string foreign = dir.path + "/foreign";
    REQUIRE(::mkdir(foreign.c_str(), 0700) == 0);
    REQUIRE(::chown(foreign.c_str(), 65534, 65534) == 0);
    o.path = foreign + "/ike-up.sock";
    refused("owned by uid 65534");
  }
}

TEST_CASE("socket: a client that is neither root nor ike-up's user is refused (SO_PEERCRED)",
          "[ctl][socket]") {
  if (::geteuid() != 0) SKIP_OR_FAIL("needs root to run a client as uid 65534");
  Daemon d;
  // Open every gate the file system has (a mistaken chmod): only SO_PEERCRED is left.
  ::chmod(d.dir.path.c_str(), 0755);
  ::chmod((d.dir.path + "/run").c_str(), 0755);
  ::chmod(d.sock.c_str(), 0666);
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) { // nobody: connects (the file allows it), must get the refusal
    if (::setresgid(65534, 65534, 65534) != 0 || ::setresuid(65534, 65534, 65534) != 0) ::_exit(9);
    auto c = io::ControlClient::connect(d.sock);
    if (!c) ::_exit(2);
    auto line = c->read_line(std::chrono::seconds(3));
    if (!line) ::_exit(3);
    if (line->find("permission denied") == std::string::npos) ::_exit(4);
    auto next = c->read_line(std::chrono::seconds(3)); // then the connection is closed
    ::_exit(next ? 5 : 0);
  }
  int status = 0;
  for (int i = 0; i < 300 && ::waitpid(pid, &status, WNOHANG) == 0; ++i)
    d.spin(1);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  CHECK(d.server->stats().refused_peer == 1);
  CHECK(d.server->stats().accepted == 0);
  // Root (us) is still served.
  auto c = io::ControlClient::connect(d.sock);
  REQUIRE(c);
  d.spin();
  CHECK(read_json(*c)["type"] == "hello");
  CHECK(d.server->stats().accepted == 1);
}

// ike-up builds an event's JSON object for the control socket only while a client takes
// events (io/ike_up_events.cpp); otherwise it renders the line straight.
TEST_CASE("socket: events are wanted only while a client monitors or waits", "[ctl][socket]") {
  Daemon d;
  CHECK_FALSE(d.server->wants_events()); // no client
  auto connected = io::ControlClient::connect(d.sock);
  REQUIRE(connected);
  std::optional<io::ControlClient> c(std::move(*connected));
  d.spin();
  read_json(*c); // hello
  REQUIRE(c->send_line(R"({"id":1,"command":"status"})"));
  d.spin();
  CHECK(read_json(*c)["ok"] == true);
  CHECK_FALSE(d.server->wants_events()); // a client that only asks
  REQUIRE(c->send_line(R"({"id":2,"command":"monitor"})"));
  d.spin();
  CHECK(d.server->wants_events());
  c.reset(); // the monitor goes away
  d.spin();
  CHECK_FALSE(d.server->wants_events());
}
