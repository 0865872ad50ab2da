// What the EAP state machines (eap/server.hpp, eap/peer.hpp) report: a step's output, the
// reason an input was dropped, the method's status and, on failure, why. They are
// sans-I/O (DESIGN 1): bytes in, bytes out into caller space, randomness handed in.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace ikekit::eap {

// Why an input packet was dropped (DESIGN 3: dropped and counted, never an error).
enum class DropReason : uint8_t {
  malformed,           // the EAP or MS-CHAPv2 codec refused it
  unexpected_code,     // a Request at the server, a Response at the peer, ...
  identifier_mismatch, // a Response whose Identifier is not the outstanding Request's
  unexpected_type,     // a Type the current step does not expect
  unexpected_opcode,   // an MS-CHAPv2 OpCode the current step does not expect
  ms_chapv2_id_mismatch,
  finished, // the method already ended
};
inline constexpr size_t kDropReasonCount = 7;
std::string_view drop_reason_name(DropReason r);

enum class Status : uint8_t { running, success, failure };

// Why the method failed.
enum class FailureReason : uint8_t {
  none,
  unknown_user,           // server: no password for the identity (sent as E=691)
  authentication_failure, // server: wrong NT-Response; peer: the server said E=691
  authenticator_mismatch, // peer: the server's authenticator response is wrong (RFC 2759 8.8)
  premature_success,      // peer: EAP-Success before the server proved itself
  rejected,               // peer: EAP-Failure; server: the peer sent Nak or a Failure
  server_failure,         // peer: an MS-CHAPv2 Failure other than E=691
  internal,               // crypto or encoding failed locally
  backend_reject,         // server relaying to RADIUS (RFC 3579): Access-Reject
  backend_timeout,        // server relaying to RADIUS: no answer
};
std::string_view failure_reason_name(FailureReason r);

struct Step {
  size_t written = 0;                // bytes of the packet to send, at the start of `out`
  std::optional<DropReason> dropped; // set when the input was dropped
};

struct Stats {
  uint64_t received = 0;
  std::array<uint64_t, kDropReasonCount> dropped{};
  uint64_t dropped_total() const {
    uint64_t n = 0;
    for (auto d : dropped)
      n += d;
    return n;
  }
};

} // namespace ikekit::eap
