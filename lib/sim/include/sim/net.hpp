// Engines on a simulated network: nodes (Engines) addressed by IP, datagrams in flight
// with a time of arrival, and loss / duplication / reordering drawn from a seeded
// generator. No sockets and no clock: `now` is whatever the driver says it is (virtual
// time in the engine tests and the engine fuzzer, steady_clock in ike-bench inproc/scale).
//
// Two ways to drive it:
//  * step(): one event at a time, the earliest datagram or timer (the engine tests:
//    latency, loss, timers fire at their exact virtual time);
//  * pump(now): one pass as ike-up's event loop makes per wake-up, every node's queued
//    datagrams delivered at once and each node's due timers fired (ike-bench: thousands
//    of handshakes in flight, no per-datagram scan; see pump()).
// Nothing is allocated per datagram once the buffer pool is warm; a node that sets
// `on_event` keeps no events (a benchmark's millions of SAs would otherwise grow them).
#pragma once

#include "base/rng.hpp"
#include "ike/engine.hpp"

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ikekit::sim {

using ike::Datagram;
using ike::Event;
using ike::Transmit;

inline IpAddress ip(std::string_view s) { return *IpAddress::parse(s); }

struct Node {
  std::string name;
  IpAddress address;
  std::unique_ptr<SeededRng> owned_rng; // when Net::add made one
  Rng* rng = nullptr;                   // the engine's
  std::unique_ptr<ike::Engine> engine;
  std::vector<Event> events; // every event, unless on_event takes them
  std::function<void(Event&&)> on_event;
  bool silent = false; // drops everything it would send or receive
  // What the node put on the network (before loss), and the CPU seconds spent inside
  // its engine's calls (only with Net::cpu_clock).
  uint64_t datagrams_sent = 0, bytes_sent = 0;
  double cpu_s = 0;

  template <typename E> std::vector<E> all() const {
    std::vector<E> v;
    for (const auto& e : events)
      if (auto* x = std::get_if<E>(&e)) v.push_back(*x);
    return v;
  }
  template <typename E> size_t count() const { return all<E>().size(); }
};

struct Net {
  TimePoint now{std::chrono::hours(24 * 365)};
  SeededRng rng{1};
  double loss = 0, duplicate = 0, reorder = 0;
  Duration latency = std::chrono::milliseconds(5);
  std::vector<std::unique_ptr<Node>> nodes;
  struct InFlight {
    TimePoint at;
    uint64_t seq;
    Datagram dg;
    Bytes data;
  };
  std::vector<InFlight> flight;
  uint64_t seq = 0;
  uint64_t delivered = 0;
  // Optional tap: may modify or drop (return false) a datagram before it is queued.
  std::function<bool(Bytes&, const Transmit&)> tap;
  // Optional middlebox (a NAT): may rewrite a datagram's addresses on its way; `local`
  // is the destination, `remote` the source.
  std::function<void(Datagram&)> route;
  // Optional EAP server elsewhere (ike/eap_relay.hpp): answers a node's backend request
  // after a virtual delay, or never (nullopt).
  struct BackendReply {
    Duration delay;
    ike::EapBackendAnswer answer;
  };
  std::function<std::optional<BackendReply>(const ike::EapBackendRequest&)> backend;
  struct DueAnswer {
    TimePoint at;
    Node* node;
    ike::EapBackendAnswer answer;
  };
  std::vector<DueAnswer> answers;
  // Optional CPU clock (seconds, e.g. the thread's CPU time): each engine call is
  // charged to its node's cpu_s. Read only when the charged node changes.
  std::function<double()> cpu_clock;

  explicit Net(uint64_t seed = 1) : rng(seed) {}

  // A node whose engine draws from its own SeededRng(seed) / from `rng` (which must
  // outlive the node).
  Node& add(std::string name, std::string_view addr, ike::Config cfg, uint64_t seed);
  Node& add(std::string name, std::string_view addr, ike::Config cfg, Rng& rng);
  // A fresh engine for `n` (same address and Rng), built at `now`.
  void restart(Node& n, ike::Config cfg);

  double uniform();
  // Moves what `n` has to send into `flight` (tap, loss, duplication, reordering,
  // route) and its events into `events` / on_event.
  void collect(Node& n);
  void collect_all();
  Node* node_at(const IpAddress& a);

  // One step: deliver the earliest datagram or fire the earliest timer. false: idle.
  bool step(TimePoint limit);
  // Runs until `done` holds or nothing is left to do before now + max.
  bool run_until(const std::function<bool()>& done, Duration max = std::chrono::seconds(600));
  void run_for(Duration d);

  // One pass at `t` (>= now): for each node in order, what it has queued goes on the
  // network and every datagram due by now is delivered (in time of arrival order);
  // then each node's due timers fire (one next_timeout() per node per pass, as ike-up's
  // event loop asks once per wake-up) and its events are collected. With no latency
  // the answers of the second node reach the first within the same pass. Returns
  // whether a datagram was delivered or a timer fired.
  bool pump(TimePoint t);

private:
  void deliver(InFlight& f);
  bool deliver_due();
  bool fire_due(Node& n);
  void answer_due();
  void charge(Node* n);
  Bytes spare_buffer();

  // poll_transmit's target (65535 bytes always suffice), left uninitialised: only what
  // the engine writes is read, and zero-filling 64 KiB per Net (one per engine fuzzer
  // input) faulted in 16 fresh pages each time.
  static constexpr size_t kScratchBytes = 65535;
  std::unique_ptr<uint8_t[]> scratch_ = std::make_unique_for_overwrite<uint8_t[]>(kScratchBytes);
  std::vector<Bytes> spare_; // delivered datagrams' buffers, reused
  Node* charged_ = nullptr;
  double charged_since_ = 0;
};

} // namespace ikekit::sim
