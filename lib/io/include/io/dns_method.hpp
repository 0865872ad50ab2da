// The --dns-apply methods (io/dns_apply.hpp), apart from the applier: ike-up's options
// name one without the JSON and process headers the applier needs.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace ikekit::io {

// In the order `auto` tries them (io/dns_apply.hpp).
enum class DnsMethod : uint8_t { file, resolved, resolvconf };
std::string_view dns_method_name(DnsMethod m);
// The method of that name ("file", "resolved" or "resolvconf"); nullopt for any other.
std::optional<DnsMethod> dns_method_from_name(std::string_view name);

// What --dns-apply asks for: one method, or the first available (auto).
struct DnsRequest {
  std::optional<DnsMethod> method; // nullopt: auto
};

} // namespace ikekit::io
