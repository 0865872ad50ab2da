// Counters of an Engine (DESIGN 3: a dropped input is a counter by reason).
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace ikekit::ike {

enum class DropReason : uint8_t {
  malformed,            // header or payload chain does not parse
  unknown_sa,           // no IKE SA for the SPIs (and not a new IKE_SA_INIT request)
  bad_flags,            // Initiator/Response flags do not fit the SA or the role
  out_of_window,        // a request or response outside the message ID window (RFC 7296 2.3)
  duplicate,            // a response for a request no longer outstanding
  integrity,            // SK/SKF did not verify or decrypt
  payload_rules,        // the payloads do not fit the exchange's rule table
  unexpected_exchange,  // an exchange not allowed in the SA's state
  invalid_cookie,       // IKE_SA_INIT with a missing or wrong COOKIE while cookies are required
  fragment,             // a bad SKF fragment (number, total, mismatching)
  no_config,            // no PeerConfig for the peer's address
  unsupported_critical, // a critical payload we do not know (UNSUPPORTED_CRITICAL_PAYLOAD sent)
  buffer_too_small,     // poll_transmit's buffer could not hold a datagram (re-queued)
  half_open_limit,      // IKE_SA_INIT while Config::half_open_limit SAs are half-open
  half_open_per_ip,     // IKE_SA_INIT from an address with half_open_limit_per_ip half-open
  too_large,            // a message above Config::max_message_size
  too_many_fragments,   // Total Fragments above Config::max_fragments (RFC 7383)
  reassembly_limit,     // fragment data above Config::max_reassembly_bytes for one IKE SA
  retransmit_mismatch,  // the answered request's message ID, but not its bytes (RFC 7296 2.1)
  retransmit_rate,      // an exact retransmission beyond the answers allowed per IKE SA
  bad_cookie2,          // a MOBIKE response that did not echo our COOKIE2 (RFC 4555 3.8)
  wrong_transport,      // UDP for an IKE SA that runs in a TCP stream, or TCP for one on UDP
  handoff_full,         // several engines: the owner's inbox was full (the socket thread's count)
  kCount
};
std::string_view drop_reason_name(DropReason r); // "malformed", "unknown_sa", ...

struct Stats {
  uint64_t datagrams_received = 0;
  uint64_t datagrams_sent = 0;
  uint64_t retransmissions = 0;      // requests we sent again after a timeout
  uint64_t retransmits_answered = 0; // cached responses sent for a retransmitted request
  uint64_t ike_sas_established = 0;
  uint64_t child_sas_established = 0;
  uint64_t failures = 0;
  uint64_t cookies_sent = 0;
  uint64_t fragments_sent = 0;
  uint64_t fragments_received = 0;
  uint64_t nat_keepalives_sent = 0;     // RFC 3948 4, from the side behind a NAT
  uint64_t nat_keepalives_received = 0; // one 0xFF byte on the NAT-T port (not a drop)
  uint64_t peer_moves = 0;              // RFC 7296 2.23 NAT mapping changes followed
  uint64_t mobike_updates_sent = 0;     // RFC 4555 3.5 UPDATE_SA_ADDRESSES requests (initiator)
  uint64_t mobike_updates_received = 0; // authenticated UPDATE_SA_ADDRESSES requests answered
  // Key pairs made ahead by idle_work(), and those an IKE_SA_INIT then used (the rest
  // were freed unused: the next IKE_SA_INIT wanted another group), and the attempts that
  // failed (the group is then not tried again while idle until an IKE_SA_INIT made a pair).
  uint64_t spare_key_exchanges_made = 0;
  uint64_t spare_key_exchanges_used = 0;
  uint64_t spare_key_exchanges_failed = 0;
  std::array<uint64_t, size_t(DropReason::kCount)> dropped{};

  uint64_t dropped_for(DropReason r) const { return dropped[size_t(r)]; }
  uint64_t dropped_total() const {
    uint64_t n = 0;
    for (auto v : dropped)
      n += v;
    return n;
  }
};

} // namespace ikekit::ike
