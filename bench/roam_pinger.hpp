// The ping of `ike-bench roam`: ICMP echo requests (RFC 792) at a fixed interval from one
// address to another, from a raw socket opened in a namespace, sent and read by a thread
// of its own, every request and reply time-stamped (steady clock) as it happens. Unlike
// parsing `ping -i 0.01`, the times are exact and the moment of the move can be placed
// among them. Each probe carries its own sequence number; replies are matched by
// identifier, sequence and source.
#pragma once

#include "base/ip_address.hpp"
#include "base/result.hpp"

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace ikekit::bench {

using SteadyTime = std::chrono::steady_clock::time_point;

struct Probe {
  SteadyTime sent;
  std::optional<SteadyTime> reply; // the first reply; nullopt: none (yet)
};

// What one round saw (pure; see observe_roam).
struct RoamObservation {
  std::optional<double> recovery_ms; // move -> first reply to a probe sent at or after it
  int sent = 0;
  int lost = 0; // probes without a reply
};

// recovery_ms: from `moved_at` to the earliest reply to a probe sent at or after
// `moved_at` (a reply to an older probe proves nothing about the new path); nullopt
// when there is none. sent and lost count every probe.
RoamObservation observe_roam(const std::vector<Probe>& probes, SteadyTime moved_at);

class Pinger {
public:
  // Opens the socket in `netns` (Errc::environment without CAP_NET_RAW), bound to `src`,
  // and starts sending to `dst` every `interval`.
  static Result<std::unique_ptr<Pinger>> start(const std::string& netns, const IpAddress& src,
                                               const IpAddress& dst,
                                               std::chrono::milliseconds interval);
  ~Pinger();
  Pinger(const Pinger&) = delete;
  Pinger& operator=(const Pinger&) = delete;

  // Holds the probes back (true) while the network changes, so none goes out half-way
  // through the change; released (false), the next one goes out at once.
  void hold(bool on) { held_ = on; }
  // The time of the earliest reply to a probe sent at or after `t`, if any came yet.
  std::optional<SteadyTime> first_reply_since(SteadyTime t);
  // Stops sending, reads late replies for `drain`, stops the thread; the probes.
  std::vector<Probe> finish(std::chrono::milliseconds drain);

private:
  Pinger() = default;
  void run();
  void send_probe();
  void read_replies();
  int fd_ = -1;
  uint16_t ident_ = 0;
  IpAddress dst_;
  std::chrono::milliseconds interval_{10};
  std::atomic<bool> sending_{true}, running_{true}, held_{false};
  std::mutex mu_;
  std::vector<Probe> probes_; // index = sequence number (guarded by mu_)
  std::thread thread_;
};

} // namespace ikekit::bench
