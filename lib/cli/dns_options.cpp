#include "cli/dns_options.hpp"

#include "usage_error.hpp"

namespace ikekit::cli {

Result<std::optional<io::DnsRequest>> dns_apply_request(const IkeUpOptions& opts) {
  const std::string& m = opts.dns_apply;
  io::DnsRequest request{io::dns_method_from_name(m)};
  if (m != "auto" && m != "none" && !request.method)
    return bad("--dns-apply", m, "expected auto, resolved, resolvconf, file or none");
  bool asks = false;
  for (const auto& c : opts.connections)
    asks = asks || c.request_vip || c.request_vip6;
  if (!asks && request.method)
    return make_error(Errc::usage, "--dns-apply",
                      "only means something with --request-vip or --request-vip6");
  if (!asks || m == "none") return std::optional<io::DnsRequest>();
  return std::optional<io::DnsRequest>(request);
}

} // namespace ikekit::cli
