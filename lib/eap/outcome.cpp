#include "eap/outcome.hpp"

namespace ikekit::eap {

std::string_view drop_reason_name(DropReason r) {
  switch (r) {
  case DropReason::malformed:
    return "malformed";
  case DropReason::unexpected_code:
    return "unexpected_code";
  case DropReason::identifier_mismatch:
    return "identifier_mismatch";
  case DropReason::unexpected_type:
    return "unexpected_type";
  case DropReason::unexpected_opcode:
    return "unexpected_opcode";
  case DropReason::ms_chapv2_id_mismatch:
    return "ms_chapv2_id_mismatch";
  case DropReason::finished:
    return "finished";
  }
  return "unknown";
}

std::string_view failure_reason_name(FailureReason r) {
  switch (r) {
  case FailureReason::none:
    return "none";
  case FailureReason::unknown_user:
    return "unknown_user";
  case FailureReason::authentication_failure:
    return "authentication_failure";
  case FailureReason::authenticator_mismatch:
    return "authenticator_mismatch";
  case FailureReason::premature_success:
    return "premature_success";
  case FailureReason::rejected:
    return "rejected";
  case FailureReason::server_failure:
    return "server_failure";
  case FailureReason::internal:
    return "internal";
  case FailureReason::backend_reject:
    return "backend_reject";
  case FailureReason::backend_timeout:
    return "backend_timeout";
  }
  return "unknown";
}

} // namespace ikekit::eap
