#include "decode/records.hpp"

namespace ikekit::decode {

std::string_view integrity_name(Integrity i) {
  switch (i) {
  case Integrity::ok:
    return "ok";
  case Integrity::failed:
    return "failed";
  case Integrity::unchecked:
    return "unchecked";
  }
  return "unchecked";
}

std::string_view rules_check_name(RulesCheck r) {
  switch (r) {
  case RulesCheck::ok:
    return "ok";
  case RulesCheck::violated:
    return "violated";
  case RulesCheck::unchecked:
    return "unchecked";
  }
  return "unchecked";
}

std::string_view move_reason_name(MoveReason r) {
  switch (r) {
  case MoveReason::mobike:
    return "mobike";
  case MoveReason::nat_mapping:
    return "nat_mapping";
  }
  return "mobike";
}

std::string_view transport_name(Transport t) {
  switch (t) {
  case Transport::udp:
    return "udp";
  case Transport::tcp:
    return "tcp";
  case Transport::ip:
    return "ip";
  }
  return "ip";
}

std::string endpoint_text(const Endpoint& e) {
  if (e.port) return e.to_string();
  return e.address.is_v4() ? e.address.to_string() : "[" + e.address.to_string() + "]";
}

} // namespace ikekit::decode
