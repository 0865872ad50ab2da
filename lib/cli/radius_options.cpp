#include "cli/radius_options.hpp"

#include "base/secret_file.hpp"
#include "cli/app.hpp"
#include "usage_error.hpp"

#include <charconv>

namespace ikekit::cli {

namespace {

constexpr size_t kMaxSecretBytes = 256;
constexpr unsigned kMaxRetries = 10;

// ADDR, ADDR:PORT, V6ADDR, [V6ADDR] or [V6ADDR]:PORT.
std::optional<io::Endpoint> parse_server(std::string_view s) {
  std::string_view host = s;
  std::optional<std::string_view> port;
  if (!s.empty() && s.front() == '[') {
    const size_t close = s.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    host = s.substr(1, close - 1);
    const std::string_view rest = s.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return std::nullopt;
      port = rest.substr(1);
    }
  } else if (const size_t colon = s.find(':');
             colon != std::string_view::npos && colon == s.rfind(':')) {
    host = s.substr(0, colon); // one colon: IPv4 with a port (IPv6 has several)
    port = s.substr(colon + 1);
  }
  auto addr = IpAddress::parse(host);
  if (!addr) return std::nullopt;
  unsigned p = kRadiusPort;
  if (port) {
    auto [end, ec] = std::from_chars(port->data(), port->data() + port->size(), p);
    if (ec != std::errc() || end != port->data() + port->size() || p == 0 || p > 65535)
      return std::nullopt;
  }
  return io::Endpoint{*addr, uint16_t(p)};
}

} // namespace

Result<io::RadiusRelayConfig>
radius_relay_config(const ConnectionOptions& c,
                    const std::function<std::string(const char*)>& name) {
  io::RadiusRelayConfig r;
  if (c.radius_server.empty())
    return make_error(Errc::usage, name("radius-server"), "--remote-auth eap-radius needs it");
  for (const auto& text : c.radius_server) {
    auto e = parse_server(text);
    if (!e) return bad(name("radius-server"), text, "expected ADDR[:PORT] (IPv6: [ADDR]:PORT)");
    if (!r.servers.empty() && e->address.family() != r.servers.front().address.family())
      return bad(name("radius-server"), text, "all RADIUS servers must be of one address family");
    r.servers.push_back(*e);
  }
  if (c.radius_secret_file.empty())
    return make_error(Errc::usage, name("radius-secret-file"),
                      "--remote-auth eap-radius needs the shared secret");
  auto file =
      read_secret_file(c.radius_secret_file, name("radius-secret-file"), kMaxSecretBytes + 2);
  if (!file) return file.error();
  ByteView b = file->reveal();
  size_t len = b.size();
  while (len > 0 && (b[len - 1] == '\n' || b[len - 1] == '\r'))
    --len;
  if (len == 0)
    return make_error(Errc::usage, name("radius-secret-file"),
                      "\"" + c.radius_secret_file + "\": the secret is empty");
  r.secrets.assign(r.servers.size(), file->slice(0, len));
  auto timeout = parse_duration(c.radius_timeout, name("radius-timeout"));
  if (!timeout) return timeout.error();
  if (timeout->count() <= 0)
    return bad(name("radius-timeout"), c.radius_timeout, "must be more than 0");
  r.timeout = *timeout;
  if (c.radius_retries > kMaxRetries)
    return bad(name("radius-retries"), std::to_string(c.radius_retries),
               "expected 0 to " + std::to_string(kMaxRetries));
  r.transmissions = c.radius_retries + 1;
  r.nas_identifier = c.name;
  return r;
}

} // namespace ikekit::cli
