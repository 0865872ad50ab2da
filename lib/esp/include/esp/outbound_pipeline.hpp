// The outbound half of the user-space ESP data plane, sans-I/O (DESIGN 1): a batch of
// inner packets in, a batch of sealed ESP packets out, each naming the SA it went out
// on. Per packet (RFC 4301 5.1, RFC 4303 3.3):
//   1. its selectors pick the SA (SelectorTable: longest remote prefix, then local
//      address, protocol, ports) or it is dropped (no_sa);
//   2. its sequence number must be reserved (SeqReservation, esp-tunnel's state file:
//      the reservation's limit is read once per batch and SA, not per packet), else it
//      is held back (seq_unreserved);
//   3. tunnel mode seals the whole packet (Next Header 4 or 41, RFC 4303 2.6); transport
//      mode seals the upper-layer segment behind the IP header (RFC 4303 3.1.1), the
//      header being rebuilt by the kernel from the socket's addresses;
//   4. sealed in place (EspSaOut), never wrapping (RFC 4303 3.3.3): past the SA's soft
//      limit its pair is named once in rekey_requests() (RFC 7296 2.8).
// The I/O layer keeps the devices and sockets: it reads packets into buffers with the
// headroom and tailroom esp/layout.hpp asks for, and sends the sealed ones (grouped
// by SA for UDP GSO: gso_runs()). One thread drives a pipeline; adding and removing
// SAs allocates, sealing does not.
#pragma once

#include "base/bytes.hpp"
#include "esp/child_sa.hpp"
#include "esp/dataplane_stats.hpp"
#include "esp/sa.hpp"
#include "esp/selector_table.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

namespace ikekit::esp {

// One outbound SA as the pipeline drives it.
struct OutboundSa {
  uint32_t spi_in = 0; // the inbound SPI of its pair: what a rekey request names
  EspSaOut sa;
  EspMode mode = EspMode::tunnel;
  std::shared_ptr<SeqReservation> reservation; // null: every number may be sent
};

// An inner packet at buffer[offset, offset + len), with headroom before it and
// tailroom after it in `buffer`.
struct OutPacket {
  MutBytes buffer;
  size_t offset = 0;
  size_t len = 0;
};

// A sealed ESP packet (SPI .. ICV) in its buffer, and the SA (its id) it goes out on.
struct SealedPacket {
  MutBytes esp;
  uint32_t sa = 0;
};

class OutboundPipeline {
public:
  OutboundPipeline();
  // Adds SA `id` (unused) of IKE SA `owner` with its selectors; `replaces`: the SA it
  // rekeys (it takes over that one's selectors). The caller checked conflicts.
  void add(uint32_t id, uint64_t owner, const SaSelectors& selectors,
           std::optional<uint32_t> replaces, OutboundSa sa);
  // Removes SA `id`, keeping its counters in the totals.
  void remove(uint32_t id);
  const OutboundSa* find(uint32_t id) const;

  // Seals each packet that an SA takes, in order, into `out` (at least in.size()
  // entries); returns how many were sealed. Drops are counted by reason.
  size_t seal_batch(std::span<const OutPacket> in, std::span<SealedPacket> out);

  // The inbound SPIs of pairs whose outbound SA passed its soft limit (each SA once in
  // its life), since the last clear_rekey_requests().
  std::span<const uint32_t> rekey_requests() const { return rekey_; }
  void clear_rekey_requests() { rekey_.clear(); }

  // Totals over every SA this pipeline has held, plus the drops around them.
  OutStats stats() const;
  // Each live SA: f(id, const OutboundSa&).
  template <typename F> void for_each_sa(F&& f) const {
    for (size_t id = 0; id < slots_.size(); ++id)
      if (slots_[id]) f(uint32_t(id), slots_[id]->out);
  }

private:
  struct Slot {
    OutboundSa out;
    uint64_t seq_limit = 0; // the reservation's limit as last read
    bool rekey_requested = false;
  };
  bool seq_reserved(Slot& s);
  bool seal_one(const OutPacket& p, SealedPacket& out);

  SelectorTable spd_;
  std::vector<std::unique_ptr<Slot>> slots_; // by id
  std::vector<uint32_t> rekey_;              // capacity reserved: no allocation per packet
  OutStats retired_;                         // SAs removed
  OutStats local_;                           // drops outside any SA, wire bytes
};

// A run of sealed packets that one UDP GSO send can carry (UDP_SEGMENT): consecutive
// packets of one SA, all of the first one's size except a shorter last one, at most
// max_segments of them and max_bytes in total.
struct GsoRun {
  size_t first = 0;
  size_t count = 0;
  size_t segment_size = 0;
};
// Splits `packets` into such runs, in order; returns how many were written to `runs`
// (at least packets.size() entries).
size_t gso_runs(std::span<const SealedPacket> packets, size_t max_segments, size_t max_bytes,
                std::span<GsoRun> runs);

} // namespace ikekit::esp
