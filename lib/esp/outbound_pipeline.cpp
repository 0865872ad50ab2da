#include "esp/outbound_pipeline.hpp"

#include "esp/selector.hpp"
#include "wire/ip.hpp"

#include <atomic>

namespace ikekit::esp {

namespace {
constexpr size_t kMaxRekeyPending = 4096; // more SAs than this in one batch never happen
}

OutboundPipeline::OutboundPipeline() { rekey_.reserve(kMaxRekeyPending); }

void OutboundPipeline::add(uint32_t id, uint64_t owner, const SaSelectors& selectors,
                           std::optional<uint32_t> replaces, OutboundSa sa) {
  // A rekey (RFC 7296 2.8) takes over the selectors of the SA it replaces; that one
  // stays until removed.
  spd_.add(id, owner, selectors, replaces);
  if (slots_.size() <= id) slots_.resize(id + 1);
  slots_[id] = std::make_unique<Slot>(Slot{std::move(sa)});
}

void OutboundPipeline::remove(uint32_t id) {
  spd_.remove(id);
  if (id < slots_.size() && slots_[id]) {
    retired_ += slots_[id]->out.sa.stats();
    slots_[id].reset();
  }
}

const OutboundSa* OutboundPipeline::find(uint32_t id) const {
  return id < slots_.size() && slots_[id] ? &slots_[id]->out : nullptr;
}

// Whether the next packet's sequence number is reserved, reloading the limit only when
// the cached one is used up: one atomic load per SA and batch at most.
bool OutboundPipeline::seq_reserved(Slot& s) {
  const SeqReservation* r = s.out.reservation.get();
  if (!r || s.out.sa.next_seq() <= s.seq_limit) return true;
  s.seq_limit = r->limit.load(std::memory_order_acquire);
  return s.out.sa.next_seq() <= s.seq_limit;
}

bool OutboundPipeline::seal_one(const OutPacket& p, SealedPacket& out) {
  ByteView pkt(p.buffer.data() + p.offset, p.len);
  PacketSelector sel;
  if (!read_packet_selector(pkt, sel)) {
    ++local_.not_ip;
    return false;
  }
  std::optional<uint32_t> id = spd_.lookup(sel); // RFC 4301 5.1: the SA, or discard
  if (!id) {
    ++local_.no_sa;
    return false;
  }
  Slot& s = *slots_[*id];
  if (!seq_reserved(s)) {
    ++local_.seq_unreserved; // its owner has not made the number durable yet
    return false;
  }
  size_t off = p.offset, len = p.len;
  uint8_t nh;
  if (s.out.mode == EspMode::tunnel) {
    nh = sel.src.v6 ? kNextHeaderIpv6 : kNextHeaderIpv4; // RFC 4303 2.6
  } else {
    // RFC 4303 3.1.1: ESP protects the upper-layer segment behind the IP header; IPv6
    // extension headers travel inside it, the first of them as its Next Header.
    wire::IpHeader ip;
    if (wire::parse_ip(pkt, ip, wire::Ipv6Walk::none) != wire::IpError::none) {
      ++local_.not_ip;
      return false;
    }
    nh = ip.protocol;
    off += ip.header_len;
    len -= ip.header_len;
  }
  Sealed sealed = s.out.sa.seal_in_place(p.buffer, off, len, nh);
  // RFC 4303 3.3.3: never wrap; past the soft limit (or at the end, had the limit been
  // set beyond it) the pair is rekeyed (RFC 7296 2.8).
  if (!s.rekey_requested &&
      (sealed ? sealed.soft_limit : sealed.status == SealStatus::sa_exhausted)) {
    s.rekey_requested = true;
    if (rekey_.size() < rekey_.capacity()) rekey_.push_back(s.out.spi_in);
  }
  if (!sealed) return false; // counted by the SA (exhausted, no room, crypto)
  out = SealedPacket{sealed.packet, *id};
  local_.wire_bytes += sealed.packet.size();
  return true;
}

size_t OutboundPipeline::seal_batch(std::span<const OutPacket> in, std::span<SealedPacket> out) {
  size_t n = 0;
  for (const OutPacket& p : in) {
    if (n >= out.size()) break;
    if (seal_one(p, out[n])) ++n;
  }
  return n;
}

OutStats OutboundPipeline::stats() const {
  OutStats s = retired_;
  for (const auto& slot : slots_)
    if (slot) s += slot->out.sa.stats();
  s.wire_bytes += local_.wire_bytes;
  s.seq_unreserved += local_.seq_unreserved;
  s.no_sa += local_.no_sa;
  s.not_ip += local_.not_ip;
  return s;
}

size_t gso_runs(std::span<const SealedPacket> packets, size_t max_segments, size_t max_bytes,
                std::span<GsoRun> runs) {
  size_t nruns = 0;
  size_t i = 0;
  while (i < packets.size() && nruns < runs.size()) {
    GsoRun r{i, 1, packets[i].esp.size()};
    size_t bytes = r.segment_size;
    // Same SA, same size; a shorter packet ends the run (UDP_SEGMENT: only the last
    // segment may be shorter).
    while (i + r.count < packets.size() && r.count < max_segments) {
      const SealedPacket& p = packets[i + r.count];
      if (p.sa != packets[i].sa || p.esp.size() > r.segment_size ||
          bytes + p.esp.size() > max_bytes)
        break;
      bytes += p.esp.size();
      ++r.count;
      if (p.esp.size() < r.segment_size) break;
    }
    runs[nruns++] = r;
    i += r.count;
  }
  return nruns;
}

} // namespace ikekit::esp
