// The EAP server (authenticator) side of EAP-MSCHAPv2 (RFC 3748, draft-kamath-pppext-
// eap-mschapv2, RFC 2759), sans-I/O:
//
//   Server                                    Peer
//   Request/Identity (id n)            ->
//                                      <-     Response/Identity (id n)
//   Request/MSCHAPv2 Challenge (n+1)   ->
//                                      <-     Response/MSCHAPv2 Response (n+1)
//   Request/MSCHAPv2 Success "S=..." (n+2) -> (or Failure "E=691 ...")
//                                      <-     Response/MSCHAPv2 Success (n+2)
//   EAP-Success (n+2)                  ->     (or EAP-Failure after a Failure response)
//
// Retransmission is the carrier's business (IKE retransmits whole messages); a Response
// that does not answer the outstanding Request is dropped and counted.
#pragma once

#include "base/bytes.hpp"
#include "base/result.hpp"
#include "base/rng.hpp"
#include "base/secret_bytes.hpp"
#include "eap/outcome.hpp"

#include <array>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace ikekit::eap {

// The UTF-8 password of an identity, or nullopt for an unknown one.
using PasswordLookup = std::function<std::optional<SecretBytes>(std::string_view identity)>;

struct ServerConfig {
  std::string name = "ikekit"; // the Name in the Challenge (RFC 2759 4)
  uint8_t first_identifier = 0;
};

class Server {
public:
  Server(ServerConfig config, Rng& rng, PasswordLookup lookup);

  // The first Request (Identity) into `out`.
  Result<size_t> start(MutBytes out);
  // One Response from the peer; the next packet (if any) goes into `out`.
  Step receive(ByteView in, MutBytes out);

  Status status() const { return status_; }
  FailureReason failure() const { return failure_; }
  // Why the method is failing while its Failure Request waits for the peer's answer.
  FailureReason pending_failure() const { return pending_failure_; }
  const std::string& identity() const { return identity_; } // the peer's EAP identity
  const SecretBytes& msk() const { return msk_; }           // 64 bytes after success
  const Stats& stats() const { return stats_; }

private:
  enum class State : uint8_t {
    idle,
    identity_sent,
    challenge_sent,
    success_sent,
    failure_sent,
    done
  };

  Step drop(DropReason r);
  Step fail(FailureReason r, MutBytes out, uint8_t identifier);
  Step on_identity(ByteView type_data, MutBytes out);
  Step on_response(ByteView type_data, uint8_t identifier, MutBytes out);
  Step on_final(ByteView type_data, uint8_t identifier, MutBytes out);
  Step send_failure_request(FailureReason r, MutBytes out);

  ServerConfig config_;
  Rng& rng_;
  PasswordLookup lookup_;
  State state_ = State::idle;
  uint8_t identifier_ = 0; // of the outstanding Request
  std::array<uint8_t, 16> challenge_{};
  std::string identity_;
  SecretBytes msk_;
  Status status_ = Status::running;
  FailureReason failure_ = FailureReason::none;
  FailureReason pending_failure_ = FailureReason::none; // reported once the peer answers
  Stats stats_;
};

} // namespace ikekit::eap
