// The EAP peer (client) side of EAP-MSCHAPv2 (RFC 3748, draft-kamath-pppext-eap-
// mschapv2, RFC 2759), sans-I/O. It answers Identity with its identity, the Challenge
// with an NT-Response from its username and password, and checks the server's
// authenticator response (RFC 2759 8.8) before it answers Success: a wrong one, or an
// EAP-Success before it, ends the method in failure. Other Types get a Legacy Nak that
// proposes MS-CHAPv2 (RFC 3748 5.3.1). A Request repeating the last Identifier gets the
// same Response again (RFC 3748 4.1: the peer answers retransmissions).
#pragma once

#include "base/bytes.hpp"
#include "base/rng.hpp"
#include "base/secret_bytes.hpp"
#include "eap/outcome.hpp"

#include <array>
#include <optional>
#include <string>

namespace ikekit::eap {

struct PeerConfig {
  std::string identity;  // the EAP identity (Response/Identity)
  std::string user_name; // the MS-CHAPv2 Name; empty: the identity
  SecretBytes password;  // UTF-8
};

class Peer {
public:
  Peer(PeerConfig config, Rng& rng);

  // One packet from the server; the Response (if any) goes into `out`.
  Step receive(ByteView in, MutBytes out);

  Status status() const { return status_; }
  FailureReason failure() const { return failure_; }
  // The E= code of an MS-CHAPv2 Failure (691: authentication failure), if one came.
  std::optional<unsigned> server_error() const { return server_error_; }
  const SecretBytes& msk() const { return msk_; } // 64 bytes after success
  const Stats& stats() const { return stats_; }

private:
  enum class State : uint8_t { waiting, response_sent, success_answered, done };

  Step drop(DropReason r);
  Step finish(FailureReason r, size_t written = 0);
  Step respond(Result<size_t> n, uint8_t identifier, MutBytes out);
  Step on_request(uint8_t type, ByteView type_data, uint8_t identifier, MutBytes out);
  Step on_mschapv2(ByteView type_data, uint8_t identifier, MutBytes out);
  Step on_challenge(uint8_t ms_chapv2_id, ByteView challenge, uint8_t identifier, MutBytes out);
  Step on_success_request(ByteView message, uint8_t identifier, MutBytes out);
  Step on_failure_request(ByteView message, uint8_t identifier, MutBytes out);

  PeerConfig config_;
  Rng& rng_;
  State state_ = State::waiting;
  std::optional<uint8_t> last_identifier_; // of the last Request answered
  Bytes last_response_;
  std::string expected_auth_; // "S=..." we expect in the Success Request
  SecretBytes msk_;           // computed with the Response, exposed after success
  Status status_ = Status::running;
  FailureReason failure_ = FailureReason::none;
  std::optional<unsigned> server_error_;
  Stats stats_;
};

} // namespace ikekit::eap
