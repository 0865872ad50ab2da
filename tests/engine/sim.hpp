// The engine tests' harness: the simulated network of lib/sim (shared with the engine
// fuzzer and ike-bench) on virtual time, and the PSK pair most tests start from.
#pragma once

#include "ike/sa_table.hpp"
#include "sim/net.hpp"

#include <string>

namespace ikekit::ike::test {

using namespace std::chrono_literals;

using sim::ip;
using sim::Node;

// The engine tests' network: every engine test also checks the engine's timer index
// against its SAs' deadlines.
struct Net : sim::Net {
  explicit Net(uint64_t seed = 1) : sim::Net(seed) { timer_self_check = true; }
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

// The IKE SA `n` brought up first.
inline SaId sa_of(Node* n) { return n->all<IkeSaUp>().at(0).sa; }

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
