#include "cli/tcp_options.hpp"

#include "cli/app.hpp"
#include "usage_error.hpp"

namespace ikekit::cli {

Result<void> apply_transport(const ConnectionOptions& c,
                             const std::function<std::string(const char*)>& name,
                             ike::PeerConfig& p) {
  if (c.transport == "udp")
    p.transport = ike::IkeTransport::udp;
  else if (c.transport == "tcp")
    p.transport = ike::IkeTransport::tcp;
  else if (c.transport == "auto")
    p.transport = ike::IkeTransport::auto_fallback;
  else
    return bad(name("transport"), c.transport, "expected udp, tcp or auto");
  auto fallback = parse_duration(c.tcp_fallback_after, name("tcp-fallback-after"));
  if (!fallback) return fallback.error();
  if (fallback->count() <= 0)
    return bad(name("tcp-fallback-after"), c.tcp_fallback_after, "expected a duration above 0");
  p.tcp_fallback_after = *fallback;
  return {};
}

Result<void> apply_tcp_options(const IkeUpOptions& opts, ike::Config& config,
                               io::TcpStreamsOptions& tcp) {
  if (opts.tcp_port == 0) return bad("--tcp-port", "0", "expected a port from 1 to 65535");
  config.tcp_port = opts.tcp_port;
  if (opts.tcp_max_connections == 0)
    return bad("--tcp-max-connections", "0", "expected at least 1");
  tcp.max_connections = opts.tcp_max_connections;
  auto idle = parse_duration(opts.tcp_idle_timeout, "--tcp-idle-timeout");
  if (!idle) return idle.error();
  tcp.idle_timeout = *idle;
  return {};
}

} // namespace ikekit::cli
