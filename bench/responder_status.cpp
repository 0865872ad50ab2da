#include "bench/responder_status.hpp"

#include "ctl/protocol.hpp"
#include "io/control_socket.hpp"

namespace ikekit::bench {

Result<json::Json> query_responder_status(const std::string& socket_path, Duration timeout) {
  auto c = io::ControlClient::connect(socket_path);
  if (!c) return c.error();
  auto hello = c->read_line(timeout); // {"type":"hello",...}
  if (!hello) return hello.error();
  if (auto s = c->send_line(ctl::request_line(1, "status", json::Json::object())); !s)
    return s.error();
  for (;;) {
    auto line = c->read_line(timeout);
    if (!line) return line.error();
    auto reply = ctl::parse_reply(*line);
    if (!reply) return reply.error();
    if (reply->type != "response") continue;
    if (!reply->ok)
      return reply->error.value_or(make_error(Errc::protocol, "status", "status failed"));
    return reply->result;
  }
}

} // namespace ikekit::bench
