#include "run.hpp"

#include "cli/report.hpp"
#include "io/dataplane/tun_dataplane.hpp"
#include "io/dataplane/xfrm_dataplane.hpp"
#include "io/event_loop.hpp"
#include "report_json.hpp"

#include <functional>
#include <iostream>
#include <signal.h>

using namespace ikekit;
using namespace ikekit::io::dataplane;

namespace esp_tunnel {

namespace {

struct Hooks {
  std::function<Result<DataplaneStats>()> stats;
  // Readable once a data plane thread stopped on an error (-1: none can), and the error.
  int failure_fd = -1;
  std::function<std::optional<Error>()> failure;
  // Readable when the sequence-number reservation runs low (-1: none), and what
  // reserves more (fails closed: the data plane then stops sending).
  int seq_fd = -1;
  std::function<Result<void>()> extend_seq;
  // Stops the data plane threads, so the exit stats count every packet they sent: a
  // thread may be preempted between sending a batch and publishing its counters.
  std::function<void()> quiesce = [] {};
};

// Watches the data plane's descriptors (Hooks): the loop sleeps until one of them, a
// signal or a stats deadline wakes it, never on a timer of its own.
Result<void> watch_dataplane(io::EventLoop& ev, const Hooks& b, int& rc) {
  auto stop_on = [&ev, &rc](const Error& e) {
    cli::report_error(kTool, e, cli::kExitFailure);
    rc = cli::kExitFailure;
    ev.stop();
  };
  if (b.failure_fd >= 0)
    if (auto r = ev.add_reader(b.failure_fd,
                               [&b, stop_on](TimePoint) {
                                 if (auto f = b.failure()) stop_on(*f);
                               });
        !r)
      return r;
  if (b.seq_fd >= 0)
    if (auto r = ev.add_reader(b.seq_fd,
                               [&b, stop_on](TimePoint) {
                                 if (auto x = b.extend_seq(); !x) stop_on(x.error());
                               });
        !r)
      return r;
  return {};
}

// The event loop of the main thread: signals, stats deadlines, the data plane's
// failure and sequence notices. The signal mask is set up before the data plane
// threads start (they inherit it), so SIGTERM/SIGINT/SIGUSR1 always reach the
// signalfd here.
int loop(io::EventLoop& ev, const Options& o, json::JsonOutput& out, const Hooks& b) {
  const TimePoint t0 = io::EventLoop::now();
  auto uptime = [&](TimePoint now) { return std::chrono::duration<double>(now - t0).count(); };
  auto print = [&](std::string_view reason, TimePoint now) -> bool {
    auto s = b.stats();
    if (!s) {
      cli::report_error(kTool, s.error(), cli::kExitFailure);
      return false;
    }
    out.write(stats_json(*s, reason, uptime(now)));
    return true;
  };
  std::optional<TimePoint> next_stats;
  if (o.stats_interval) next_stats = t0 + *o.stats_interval;
  int rc = cli::kExitOk;
  auto sig = ev.on_signals({SIGINT, SIGTERM, SIGUSR1}, [&](int signo, TimePoint now) {
    if (signo == SIGUSR1) {
      if (!print("signal", now)) rc = cli::kExitFailure;
      return;
    }
    ev.stop();
  });
  if (!sig) return cli::report_error(kTool, sig.error());
  if (auto w = watch_dataplane(ev, b, rc); !w) return cli::report_error(kTool, w.error());
  ev.set_deadline([&]() { return next_stats; },
                  [&](TimePoint now) {
                    if (!next_stats || now < *next_stats) return;
                    if (!print("interval", now)) rc = cli::kExitFailure;
                    while (*next_stats <= now)
                      *next_stats += *o.stats_interval;
                  });
  if (auto r = ev.run(); !r) {
    cli::report_error(kTool, r.error(), cli::kExitFailure);
    rc = cli::kExitFailure;
  }
  b.quiesce();
  if (!print("exit", io::EventLoop::now()) && rc == cli::kExitOk) rc = cli::kExitFailure;
  return rc;
}

// The outbound SA's sequence state (SeqState), unless the user vouched the keys fresh.
Result<std::optional<SeqState>> open_seq_state(const Options& o) {
  if (o.keys_are_fresh) {
    if (auto r = SeqState::check_fresh(o.state_dir, o.sa.out); !r) return r.error();
    return std::optional<SeqState>();
  }
  auto s = SeqState::open(o.state_dir, o.sa.out);
  if (!s) return s.error();
  return std::optional<SeqState>(std::move(*s));
}

} // namespace

int run_tun(const Options& o, json::JsonOutput& out) {
  auto ev = io::EventLoop::create();
  if (!ev) return cli::report_error(kTool, ev.error());
  auto seq = open_seq_state(o);
  if (!seq) return cli::report_error(kTool, seq.error());
  TunDataplaneOptions to;
  to.tun.name = o.tun_name;
  to.tun_config.mtu = o.mtu;
  to.tun_config.addresses = o.tun_addr;
  to.tun_config.routes = o.routes;
  to.local = o.sa.local;
  to.udp_encap = o.sa.udp_encap;
  to.port = o.sa.local_port;
  to.offload = o.offload;
  to.busy_poll = o.busy_poll;
  auto dp = TunDataplane::create(to);
  if (!dp) return cli::report_error(kTool, dp.error());
  ChildSaSpec spec = o.sa;
  if (*seq) {
    spec.first_seq_out = (*seq)->first_seq();
    spec.seq_reservation = (*seq)->reservation();
  }
  if (auto r = (*dp)->install_child_sa(spec); !r)
    return cli::report_error(kTool, r.error(), cli::kExitUsage);

  Hooks b;
  b.stats = [&]() -> Result<DataplaneStats> { return (*dp)->stats(); };
  b.quiesce = [&]() { (*dp)->stop(); };
  b.failure_fd = (*dp)->failure_fd();
  b.failure = [&]() { return (*dp)->failure(); };
  if (*seq) {
    b.seq_fd = (*seq)->wake_fd();
    b.extend_seq = [&]() { return (*seq)->extend(); };
  }
  // Signals first (the threads inherit the blocked mask), then the threads.
  io::EventLoop& loop_ref = *ev;
  int rc = cli::kExitOk;
  bool started = false;
  auto wrapped = [&]() {
    auto st = (*dp)->start();
    if (!st) {
      rc = cli::report_error(kTool, st.error());
      return false;
    }
    started = true;
    out.write(started_json(o, (*dp)->device(), cli::version_line(kTool), *seq ? &**seq : nullptr));
    return true;
  };
  // on_signals is installed inside loop(); block the signals now so the data plane
  // threads created by start() never take them.
  sigset_t set;
  sigemptyset(&set);
  for (int s : {SIGINT, SIGTERM, SIGUSR1})
    sigaddset(&set, s);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  if (!wrapped()) return rc;
  rc = loop(loop_ref, o, out, b); // stops the data plane (quiesce)
  // Threads joined: the reservation's `next` is exact unless a thread died mid-batch,
  // in which case the file keeps the whole reservation.
  if (*seq && !(*dp)->failure())
    if (auto r = (*seq)->close(); !r) rc = cli::report_error(kTool, r.error(), cli::kExitFailure);
  return rc;
}

int run_xfrm(const Options& o, json::JsonOutput& out) {
  auto ev = io::EventLoop::create();
  if (!ev) return cli::report_error(kTool, ev.error());
  XfrmDataplaneOptions xo;
  xo.local = o.sa.local;
  xo.udp_encap = o.sa.udp_encap;
  xo.port = o.sa.local_port;
  xo.mark = o.mark;
  xo.if_id = o.if_id;
  auto dp = XfrmDataplane::open(xo);
  if (!dp) return cli::report_error(kTool, dp.error());
  io::dataplane::ChildSaSpec spec = o.sa;
  if (spec.mode == EspMode::tunnel) {
    // The kernel needs selectors: our TUN-less side is the --tun-addr networks (or
    // this host), the peer's the --route prefixes (or the peer).
    spec.local_ts = o.sa.local_ts;
    spec.remote_ts = o.sa.remote_ts;
  }
  if (auto r = dp->install_child_sa(spec); !r) {
    Error e = r.error();
    return cli::report_error(
        kTool, e, e.code == Errc::environment ? cli::kExitEnvironment : cli::exit_code_for(e));
  }
  out.write(started_json(o, "", cli::version_line(kTool)));
  Hooks b;
  b.stats = [&]() { return dp->stats(); };
  int rc = loop(*ev, o, out, b);
  if (auto r = dp->remove_all(); !r) {
    cli::report_error(kTool, r.error(), cli::kExitFailure);
    rc = cli::kExitFailure;
  }
  return rc;
}

} // namespace esp_tunnel
