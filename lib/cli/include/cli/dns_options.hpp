// ike-up's --dns-apply (ike-up(8) "DNS"): what to do with the DNS servers of the
// configuration payload (RFC 7296 2.19; io/dns_apply.hpp applies them).
#pragma once

#include "base/result.hpp"
#include "cli/ike_up_options.hpp"
#include "io/dns_method.hpp"

#include <optional>

namespace ikekit::cli {

// auto | resolved | resolvconf | file | none. DNS servers come only to a connection that
// asks for them (--request-vip, --request-vip6): without one the answer is nullopt, as
// for none, and a method named outright is a usage error.
Result<std::optional<io::DnsRequest>> dns_apply_request(const IkeUpOptions& opts);

} // namespace ikekit::cli
