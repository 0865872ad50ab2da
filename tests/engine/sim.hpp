// A tiny simulated network for engine tests: nodes (Engines) addressed by IP, a queue
// of datagrams in flight with virtual time, and loss / duplication / reordering drawn
// from a seeded generator. No sockets, no clock.
#pragma once

#include "base/rng.hpp"
#include "ike/engine.hpp"
#include "ike/sa_table.hpp"

#include <algorithm>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace ikekit::ike::test {

using namespace std::chrono_literals;

inline IpAddress ip(std::string_view s) { return *IpAddress::parse(s); }

struct Node {
  std::string name;
  IpAddress address;
  std::unique_ptr<SeededRng> rng;
  std::unique_ptr<Engine> engine;
  std::vector<Event> events;
  bool silent = false; // drops everything it would send or receive

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
  Duration latency = 5ms;
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
    EapBackendAnswer answer;
  };
  std::function<std::optional<BackendReply>(const EapBackendRequest&)> backend;
  struct DueAnswer {
    TimePoint at;
    Node* node;
    EapBackendAnswer answer;
  };
  std::vector<DueAnswer> answers;

  // Every engine test also checks the engine's timer index against its SAs' deadlines.
  explicit Net(uint64_t seed = 1) : rng(seed) { timer_self_check = true; }

  Node& add(std::string name, std::string_view addr, Config cfg, uint64_t seed) {
    auto n = std::make_unique<Node>();
    n->name = std::move(name);
    n->address = ip(addr);
    n->rng = std::make_unique<SeededRng>(seed);
    n->engine = std::make_unique<Engine>(std::move(cfg), *n->rng, now);
    nodes.push_back(std::move(n));
    return *nodes.back();
  }

  double uniform() {
    uint8_t b[4];
    rng.fill(b);
    return double(load_be32(b)) / 4294967296.0;
  }

  Bytes buf = Bytes(65535); // one transmit buffer: a hundred nodes poll it every step
  void collect(Node& n) {
    while (auto t = n.engine->poll_transmit(buf)) {
      if (n.silent) continue;
      Bytes data(buf.begin(), buf.begin() + long(t->size));
      if (tap && !tap(data, *t)) continue;
      int copies = 1;
      if (uniform() < loss)
        copies = 0;
      else if (uniform() < duplicate)
        copies = 2;
      for (int i = 0; i < copies; ++i) {
        Duration d = latency;
        if (uniform() < reorder) d += std::chrono::duration_cast<Duration>(50ms * uniform());
        InFlight f{now + d, seq++, Datagram{t->remote, t->local, t->nat_t, {}, t->stream}, data};
        if (route) route(f.dg);
        flight.push_back(std::move(f));
      }
    }
    while (auto e = n.engine->poll_event())
      n.events.push_back(std::move(*e));
    while (auto r = n.engine->poll_backend_request())
      if (auto reply = backend ? backend(*r) : std::nullopt)
        answers.push_back(DueAnswer{now + reply->delay, &n, std::move(reply->answer)});
  }

  void collect_all() {
    for (auto& n : nodes)
      collect(*n);
  }

  Node* node_at(const IpAddress& a) {
    for (auto& n : nodes)
      if (n->address == a) return n.get();
    return nullptr;
  }

  // One step: deliver the earliest datagram or fire the earliest timer. false: idle.
  bool step(TimePoint limit) {
    collect_all();
    std::optional<TimePoint> next_timer;
    for (auto& n : nodes)
      if (auto t = n->engine->next_timeout(); t && (!next_timer || *t < *next_timer))
        next_timer = t;
    for (const auto& a : answers)
      if (!next_timer || a.at < *next_timer) next_timer = a.at;
    auto it =
        std::min_element(flight.begin(), flight.end(), [](const InFlight& a, const InFlight& b) {
          return a.at != b.at ? a.at < b.at : a.seq < b.seq;
        });
    bool have_dg = it != flight.end();
    if (!have_dg && !next_timer) return false;
    if (have_dg && (!next_timer || it->at <= *next_timer)) {
      if (it->at > limit) return false;
      now = std::max(now, it->at);
      InFlight f = std::move(*it);
      flight.erase(it);
      Node* to = node_at(f.dg.local.address);
      if (to && !to->silent) {
        f.dg.data = f.data;
        ++delivered;
        to->engine->receive(f.dg, now);
      }
    } else {
      if (*next_timer > limit) return false;
      now = std::max(now, *next_timer);
      for (size_t i = 0; i < answers.size();)
        if (answers[i].at <= now) {
          DueAnswer a = std::move(answers[i]);
          answers.erase(answers.begin() + long(i));
          a.node->engine->backend_answer(a.answer, now);
        } else {
          ++i;
        }
      for (auto& n : nodes)
        if (auto t = n->engine->next_timeout(); t && *t <= now) n->engine->on_timeout(now);
    }
    collect_all();
    return true;
  }

  // Runs until `done` holds or nothing is left to do before now + max.
  bool run_until(const std::function<bool()>& done, Duration max = 600s) {
    TimePoint limit = now + max;
    for (int i = 0; i < 200000; ++i) {
      if (done()) return true;
      if (!step(limit)) return done();
    }
    return done();
  }
  void run_for(Duration d) {
    TimePoint limit = now + d;
    for (int i = 0; i < 200000 && step(limit); ++i) {
    }
    now = std::max(now, limit);
  }
};

// A PSK connection between a (initiator side, remote b) as strongSwan's scenarios use.
inline PeerConfig psk_peer(std::string name, std::string_view local, std::string_view remote,
                           std::string_view ike = "aes256gcm16-prfsha256-ecp256",
                           std::string_view esp = "aes256gcm16",
                           std::string_view psk = "ikekit-test-psk-0123456789abcdef") {
  PeerConfig p;
  p.name = std::move(name);
  p.local = Endpoint{ip(local), 500};
  p.remote_address = ip(remote);
  p.ike_proposals = *parse_ike_proposals(ike);
  p.child.esp_proposals = *parse_esp_proposals(esp);
  p.local_id = *Identity::parse(std::string(local));
  p.remote_id = *Identity::parse(std::string(remote));
  p.psk = SecretBytes(as_bytes(psk));
  return p;
}

inline Config config_with(PeerConfig p) {
  Config c;
  c.peers.push_back(std::move(p));
  return c;
}

// left (initiator, 10.0.0.1) and right (responder, 10.0.0.2).
struct Pair {
  Net net;
  Node* left;
  Node* right;
  Pair(Config l, Config r, uint64_t seed = 1) : net(seed) {
    left = &net.add("left", "10.0.0.1", std::move(l), seed * 2 + 1);
    right = &net.add("right", "10.0.0.2", std::move(r), seed * 2 + 2);
  }
  static Pair psk(uint64_t seed = 1) {
    return Pair(config_with(psk_peer("home", "10.0.0.1", "10.0.0.2")),
                config_with(psk_peer("gw", "10.0.0.2", "10.0.0.1")), seed);
  }
  SaId initiate() {
    auto id = left->engine->initiate(left->engine->config().peers.front().name, net.now);
    return id ? *id : 0;
  }
  bool both_up() { return left->count<ChildSaUp>() >= 1 && right->count<ChildSaUp>() >= 1; }
};

} // namespace ikekit::ike::test
