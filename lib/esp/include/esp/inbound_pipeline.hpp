// The inbound half of the user-space ESP data plane, sans-I/O (DESIGN 1): a batch of
// received ESP packets in, the inner packets to deliver out. Per packet (RFC 4303 3.4,
// RFC 4301 5.2):
//   1. the SPI finds the SA (unknown_spi, malformed otherwise);
//   2. the SA checks the replay window before the ICV and commits after it (RFC 4303
//      3.4.3), verifies the ICV and decrypts in place (EspSaIn);
//   3. tunnel mode: Next Header 4 / 41 must match the inner packet's version; transport
//      mode: the IP header is rebuilt in front of the payload from the SA's endpoints
//      (RFC 4303 3.1.1), in the room the caller left or the ESP framing freed;
//   4. the inner packet must lie within the SA's selectors (RFC 4301 5.2 step 4),
//      otherwise it is dropped by the first selector no pair matched.
// Drops are counted by reason; nothing allocates per packet. One thread drives it.
#pragma once

#include "base/bytes.hpp"
#include "base/endpoint.hpp"
#include "base/ip_address.hpp"
#include "base/result.hpp"
#include "esp/child_sa.hpp"
#include "esp/dataplane_stats.hpp"
#include "esp/sa.hpp"
#include "esp/selector.hpp"

#include <cstdint>
#include <optional>
#include <span>
#include <unordered_map>
#include <vector>

namespace ikekit::esp {

// What the pipeline needs besides the keys: the mode, the endpoints (transport mode's
// rebuilt header) and the selectors the SA's traffic must lie within.
struct InboundSaInfo {
  EspMode mode = EspMode::tunnel;
  IpAddress local;
  IpAddress remote;
  std::vector<SelectorPair> selectors;
  uint16_t remote_port = 0; // the peer's UDP port with UDP encapsulation (RFC 3948)
};

// Where a received ESP packet came from: address and, UDP-encapsulated, port (0 for
// raw ESP).
using EspSource = Endpoint;

// RFC 3948 / RFC 7296 2.23: an SA authenticated a packet (ICV verified, inside the
// replay window) that came from another source than its peer: the peer's NAT mapping
// may have changed. Whether to follow is the IKE SA's decision.
struct PeerChange {
  uint32_t spi = 0;
  EspSource source;
};

// A received ESP packet (SPI .. ICV) in place. `floor`: the lowest byte before it the
// pipeline may overwrite (transport mode writes the IP header there); packets that
// share one buffer (a UDP GRO batch) may share a floor: the pipeline never writes
// below the end of the packet it delivered before.
struct InPacket {
  MutBytes esp;
  uint8_t* floor = nullptr;
  const EspSource* source = nullptr; // null: not known (nothing is reported)
};

class InboundPipeline {
public:
  // Errc::bad_value "in.spi" when the SPI is taken.
  Result<void> add(EspSaIn sa, InboundSaInfo info);
  // Removes the SA, keeping its counters in the totals. False when there is none.
  bool remove(uint32_t spi);
  bool contains(uint32_t spi) const { return sas_.count(spi) != 0; }

  // Opens each packet in order; the inner packets to deliver go to `out` (at least
  // in.size() entries), in order. Returns how many.
  size_t open_batch(std::span<const InPacket> in, std::span<MutBytes> out);

  // The packets of SA `spi` are expected from `peer` from now on (the IKE SA moved).
  // False when there is no such SA.
  bool set_peer(uint32_t spi, const EspSource& peer);
  // Packets opened since the last clear that came from a source other than their SA's
  // peer: one entry per SA and new source (only packets with InPacket::source). A
  // forged packet (bad ICV) or a replayed one never appears here.
  std::span<const PeerChange> peer_changes() const { return peer_changes_; }
  void clear_peer_changes() { peer_changes_.clear(); }

  // Drops after opening that happened outside the pipeline (the TUN refused a packet),
  // so the totals stay true.
  void count_undelivered(uint64_t n) { local_.deliver_dropped += n; }
  void count_not_esp(uint64_t n) { local_.not_esp += n; }

  // Totals over every SA this pipeline has held, plus the drops around them.
  InStats stats() const;
  // Each live SA: f(spi, const OpenStats&).
  template <typename F> void for_each_sa(F&& f) const {
    for (const auto& [spi, e] : sas_)
      f(spi, e.sa.stats());
  }

private:
  struct Entry {
    EspSaIn sa;
    InboundSaInfo info;
    EspSource peer;                    // where its packets are expected from
    std::optional<EspSource> reported; // the last new source put into peer_changes
  };
  bool deliver(const Entry& e, const Opened& o, const InPacket& p, uint8_t* floor, MutBytes& out);
  void note_source(uint32_t spi, Entry& e, const InPacket& p);

  std::unordered_map<uint32_t, Entry> sas_;
  InStats retired_;
  InStats local_; // unknown SPI, malformed and the drops after opening
  std::vector<PeerChange> peer_changes_;
};

} // namespace ikekit::esp
