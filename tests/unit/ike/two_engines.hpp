// Two engines joined back to back, without the simulated network of lib/sim: what one
// sends, the other receives at once, on one virtual clock. For unit tests that watch
// one handshake closely (what it allocates, which key it sends).
#pragma once

#include "ike/engine.hpp"

#include <memory>
#include <string>

namespace ikekit::ike::test {

inline PeerConfig psk_peer(const std::string& name, const std::string& local,
                           const std::string& remote,
                           std::string_view ike = "aes256gcm16-prfsha256-x25519") {
  PeerConfig p;
  p.name = name;
  p.local = Endpoint{*IpAddress::parse(local), 500};
  p.remote_address = *IpAddress::parse(remote);
  p.ike_proposals = *parse_ike_proposals(ike);
  p.child.esp_proposals = *parse_esp_proposals("aes256gcm16");
  p.local_id = *Identity::parse(local);
  p.remote_id = *Identity::parse(remote);
  p.psk = SecretBytes(as_bytes(std::string_view("ikekit-test-psk-0123456789abcdef")));
  return p;
}

inline Config config_of(PeerConfig p) {
  Config c;
  c.peers.push_back(std::move(p));
  return c;
}

// left (10.0.0.1) initiates "home" to right (10.0.0.2, "gw").
struct TwoEngines {
  TimePoint now{std::chrono::hours(1)};
  Rng& left_rng;
  Rng& right_rng;
  Engine left, right;
  Bytes buf = Bytes(65535);

  TwoEngines(Rng& l, Rng& r)
      : left_rng(l), right_rng(r),
        left(config_of(psk_peer("home", "10.0.0.1", "10.0.0.2")), l, now),
        right(config_of(psk_peer("gw", "10.0.0.2", "10.0.0.1")), r, now) {}

  // Moves every queued datagram across until both are quiet; the datagrams moved.
  size_t settle() {
    size_t moved = 0;
    for (bool any = true; any;) {
      any = false;
      for (auto [from, to] : {std::pair{&left, &right}, std::pair{&right, &left}}) {
        while (auto t = from->poll_transmit(buf)) {
          Datagram d{t->remote, t->local, t->nat_t, ByteView(buf).first(t->size)};
          to->receive(d, now);
          any = true;
          ++moved;
        }
      }
    }
    return moved;
  }
  // Drains both engines' events; the number of ChildSaUp among them.
  static size_t children_up(Engine& e) {
    size_t n = 0;
    while (auto ev = e.poll_event())
      n += std::holds_alternative<ChildSaUp>(*ev);
    return n;
  }
};

} // namespace ikekit::ike::test
