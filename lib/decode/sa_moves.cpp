// IKE SAs that move in a capture: MOBIKE (RFC 4555) and NAT mapping changes (RFC 7296
// 2.23). The decoder sees only the capture, so it moves an SA on the evidence the peers
// act on: an authenticated message (its ICV checked with the SA's keys), never a source
// address alone. What any host could send (an IKE message that does not decrypt, one that
// fails its ICV, a replay of an older exchange from elsewhere) moves nothing.
#include "decode/ike_tracker.hpp"

namespace ikekit::decode {

void IkeTracker::follow(IkeSaInfo& sa, const PacketMeta& meta, const wire::IkeHeader& h,
                        bool update, Transport transport) {
  // The I flag names the original initiator (RFC 7296 3.1), whichever way the message goes.
  const Endpoint now_i = h.initiator() ? meta.src : meta.dst;
  const Endpoint now_r = h.initiator() ? meta.dst : meta.src;
  // Exchanges started by each side are numbered on their own (RFC 7296 2.2): an exchange
  // older than the newest one seen is a retransmission or a replay, which peers answer
  // from their cache or drop; it moves nothing. The same request again (RFC 4555 3.5:
  // an UPDATE_SA_ADDRESSES retransmitted on the next path) may.
  auto& highest = sa.highest_request[h.initiator() != h.response() ? 0 : 1];
  const bool stale = highest && h.message_id < *highest;
  if (!h.response() && !stale) highest = h.message_id;
  if (!sa.at_i) { // the first authenticated message: where the SA is
    sa.at_i = now_i;
    sa.at_r = now_r;
    return;
  }
  if (now_i == *sa.at_i && now_r == *sa.at_r) return;
  if (transport == Transport::tcp && now_i.address == sa.at_i->address &&
      now_r.address == sa.at_r->address) {
    // RFC 9329 6.1: a new connection between the same addresses (after a reset) carries
    // the SA on; its ports are the connection's, not a move.
    sa.at_i = now_i;
    sa.at_r = now_r;
    return;
  }
  if (stale) return;
  if (sa.mobike_i && sa.mobike_r) {
    // RFC 4555 3.5: with MOBIKE only an UPDATE_SA_ADDRESSES request moves the SA (and
    // 3.8: no implicit updates); a probe on another path (an INFORMATIONAL from there)
    // leaves it where it is. The initiator sends it (3.1), but after a rekey the I flag
    // may name the other peer (RFC 7296 2.18), so the flag is not checked here.
    if (update) move(sa, meta, MoveReason::mobike, now_i, now_r);
    return;
  }
  move(sa, meta, MoveReason::nat_mapping, now_i, now_r);
}

void IkeTracker::move(IkeSaInfo& sa, const PacketMeta& meta, MoveReason reason,
                      const Endpoint& now_i, const Endpoint& now_r) {
  SaMove m{meta.frame, meta.ts_sec, meta.ts_usec, reason, *sa.at_i, *sa.at_r, now_i, now_r};
  // The Child SAs move with their IKE SA (RFC 4555 3.5, RFC 7296 2.23): their keys are
  // also valid between the new addresses from now on.
  keys_.follow_move(sa.at_i->address, sa.at_r->address, now_i.address, now_r.address,
                    {sa.spi_i, sa.spi_r});
  sa.at_i = now_i;
  sa.at_r = now_r;
  sa.moved = m;
  ++moves_;
}

std::optional<SaMove> IkeTracker::last_move(std::pair<uint64_t, uint64_t> ike_sa) const {
  std::optional<SaMove> last;
  // Each IKE SA rekey hands the Child SAs on (RFC 7296 2.18); a chain is followed
  // as far as the capture goes (bounded: a rekey loop in a crafted capture ends here).
  for (int hops = 0; hops < 64; ++hops) {
    auto it = sas_.find(ike_sa);
    if (it == sas_.end()) break;
    if (it->second.moved) last = it->second.moved;
    if (!it->second.rekeyed_to) break;
    ike_sa = *it->second.rekeyed_to;
  }
  return last;
}

} // namespace ikekit::decode
