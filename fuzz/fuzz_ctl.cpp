// Fuzz target for the control protocol (lib/ctl, ikectl(8), ikekit.ctl/1): the bytes a
// local client writes to ike-up's control socket, through the line framer, request
// parsing and a Session whose ControlService drives a real Engine. That engine
// ("left", 10.0.0.1) has a connection "home" to a real responder engine ("right",
// 10.0.0.2) and one, "office", to an address where nobody answers; their datagrams are
// delivered between them, so initiate, rekey, terminate, unload and their "wait"
// streams run against live SAs. load reads from a stand-in loader: "/initiator.json"
// and "/responder.json" give a connection "late" (initiated or only added), any other
// path fails as a missing file would.
//
// Input: the client's bytes. A NUL byte (never part of a JSON line) ends a write and is
// followed by one byte t: time moves t seconds, timers fire, the network runs and the
// engine's events reach the session (monitor, wait) before the next write.
// Invariants: nothing crashes or throws; every output line is a JSON object with a
// type; every request line gets exactly one response; the line framer splits a stream
// into the same lines however it is cut into writes.
#include "ctl/session.hpp"
#include "fuzz_input.hpp"

#include "json/ike_events.hpp"
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

using namespace ikekit;
using namespace std::chrono_literals;
using ikekit::fuzz::Input;

namespace {

const IpAddress kRight = *IpAddress::parse("10.0.0.2");

ike::PeerConfig peer(std::string name, std::string_view local, std::string_view remote) {
  ike::PeerConfig p;
  p.name = std::move(name);
  p.local = ike::Endpoint{*IpAddress::parse(local), 500};
  p.remote_address = *IpAddress::parse(remote);
  p.ike_proposals = *ike::parse_ike_proposals("aes128gcm16-prfsha256-x25519");
  p.child.name = "child";
  p.child.esp_proposals = *ike::parse_esp_proposals("aes128gcm16");
  p.local_id = *ike::Identity::parse(local);
  p.remote_id = *ike::Identity::parse(remote);
  p.psk = SecretBytes(as_bytes("fuzz-ctl-psk"));
  return p;
}

ike::Config config(std::vector<ike::PeerConfig> peers) {
  ike::Config c;
  c.peers = std::move(peers);
  c.retransmit_timeout = 1s;
  c.retransmit_tries = 2;
  return c;
}

Result<ctl::LoadedConnections> load(const std::string& path) {
  if (path != "/initiator.json" && path != "/responder.json")
    return make_error(Errc::usage, "--config", "\"" + path + "\": cannot be read");
  ctl::LoadedConnections l;
  l.peers.push_back(peer("late", "10.0.0.1", "10.0.0.2"));
  if (path == "/initiator.json") l.initiate.push_back("late");
  return l;
}

struct Harness {
  SeededRng rng_left{1}, rng_right{2};
  TimePoint now{std::chrono::hours(1)};
  ike::Engine left{
      config({peer("home", "10.0.0.1", "10.0.0.2"), peer("office", "10.0.0.1", "10.0.0.3")}),
      rng_left, now};
  ike::Engine right{config({peer("gw", "10.0.0.2", "10.0.0.1")}), rng_right, now};
  ctl::ControlService service{left, ctl::ServiceInfo{"ike-up fuzz", "none", "", now, 1}};
  ctl::Session session{service};
  uint64_t responses = 0;
  // poll_transmit's target (65535 bytes always suffice): one per process, not 64 KiB
  // zeroed and faulted in per input.
  static inline Bytes buf = Bytes(65535);

  Harness() { service.set_loader(load); }

  // Delivers what each engine sends to the other (left's datagrams to 10.0.0.3 are
  // lost) and publishes left's events, until both are quiet.
  void pump() {
    for (int round = 0; round < 16; ++round) {
      bool moved = false;
      while (auto t = left.poll_transmit(buf)) {
        moved = true;
        if (t->remote.address == kRight)
          right.receive(ike::Datagram{t->remote, t->local, t->nat_t, ByteView(buf).first(t->size)},
                        now);
      }
      while (auto t = right.poll_transmit(buf)) {
        moved = true;
        left.receive(ike::Datagram{t->remote, t->local, t->nat_t, ByteView(buf).first(t->size)},
                     now);
      }
      while (auto e = left.poll_event()) {
        moved = true;
        session.publish(*e, json::event_to_json(*e, "2026-01-01T00:00:00Z"));
      }
      while (right.poll_event()) {
      }
      if (!moved) return;
    }
  }

  // Moves time on by `seconds`, firing each timer at its deadline on the way.
  void advance(unsigned seconds) {
    const TimePoint until = now + std::chrono::seconds(seconds);
    for (int fired = 0; fired < 64; ++fired) {
      std::optional<TimePoint> next;
      for (ike::Engine* e : {&left, &right})
        if (auto t = e->next_timeout(); t && (!next || *t < *next)) next = t;
      if (!next || *next > until) break;
      now = std::max(now, *next);
      for (ike::Engine* e : {&left, &right})
        if (auto t = e->next_timeout(); t && *t <= now) e->on_timeout(now);
      pump();
    }
    now = until;
    pump();
  }

  // Every complete output line is a JSON object with a known type.
  void check_output() {
    std::string_view out = session.output();
    size_t start = 0;
    for (size_t nl; (nl = out.find('\n', start)) != std::string_view::npos; start = nl + 1) {
      auto j = ctl::Json::parse(out.substr(start, nl - start), nullptr, false);
      IKEKIT_FUZZ_CHECK(j.is_object() && j.contains("type") && j["type"].is_string());
      const std::string type = j["type"].get<std::string>();
      IKEKIT_FUZZ_CHECK(type == "hello" || type == "response" || type == "event" || type == "done");
      if (type == "response") ++responses;
    }
    IKEKIT_FUZZ_CHECK(start == out.size()); // lines only ever end with '\n'
    session.consume(start);
  }
};

std::vector<ctl::FramedLine> frame(std::string_view stream, Input* cuts) {
  ctl::LineFramer framer(48); // a small cap, so oversized lines are common
  std::vector<ctl::FramedLine> lines;
  while (!stream.empty()) {
    size_t n = cuts ? size_t(cuts->u8() % 9) + 1 : stream.size();
    framer.feed(stream.substr(0, n));
    stream.remove_prefix(std::min(n, stream.size()));
    while (auto l = framer.next())
      lines.push_back(std::move(*l));
  }
  return lines;
}

// The same lines from one write as from many small ones.
void check_framing(std::string_view stream, const uint8_t* data, size_t size) {
  Input cuts(data, size);
  auto whole = frame(stream, nullptr);
  auto pieces = frame(stream, &cuts);
  IKEKIT_FUZZ_CHECK(whole.size() == pieces.size());
  for (size_t i = 0; i < whole.size(); ++i) {
    IKEKIT_FUZZ_CHECK(whole[i].text == pieces[i].text);
    IKEKIT_FUZZ_CHECK(whole[i].oversized == pieces[i].oversized);
    IKEKIT_FUZZ_CHECK(whole[i].text.size() <= 48);
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Harness h;
  h.check_output();
  Input in(data, size);
  std::string stream; // the client's bytes without the NUL controls
  while (!in.empty()) {
    std::string write;
    for (uint8_t b; !in.empty() && (b = in.u8()) != 0;)
      write.push_back(char(b));
    stream += write;
    if (h.session.receive(write, h.now)) h.pump();
    h.check_output();
    h.advance(in.u8());
    h.check_output();
  }
  IKEKIT_FUZZ_CHECK(h.responses == h.session.requests());
  check_framing(stream, data, size);
  return 0;
}
