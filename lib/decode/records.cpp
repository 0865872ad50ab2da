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

std::string Endpoint::to_string() const {
  std::string host = ip.is_v4() ? ip.to_string() : "[" + ip.to_string() + "]";
  return port ? host + ":" + std::to_string(port) : host;
}

} // namespace ikekit::decode
