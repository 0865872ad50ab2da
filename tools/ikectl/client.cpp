#include "client.hpp"

#include "cli/report.hpp"
#include "io/control_socket.hpp"

#include "json/output.hpp"
#include <iostream>

using namespace ikekit;

namespace ikectl {

namespace {

struct Connection {
  io::ControlClient client;
  Json hello;
};

Result<Connection> open(Context& ctx, std::optional<Duration> timeout) {
  auto c = io::ControlClient::connect(ctx.socket);
  if (!c) return c.error();
  auto line = c->read_line(timeout);
  if (!line) return line.error();
  auto hello = ctl::parse_reply(*line);
  if (!hello || hello->type != "hello")
    return make_error(Errc::protocol, "--socket",
                      ctx.socket + ": not an ike-up control socket (no hello line)");
  if (hello->raw.value("schema", "") != ctl::kSchemaCtl)
    return make_error(Errc::unsupported, "--socket",
                      ctx.socket + ": speaks " + hello->raw.value("schema", "?") +
                          ", ikectl speaks " + std::string(ctl::kSchemaCtl));
  return Connection{std::move(*c), hello->raw};
}

Result<std::optional<Duration>> timeout_of(Context& ctx) {
  if (ctx.timeout == "0" || ctx.timeout == "none") return std::optional<Duration>();
  auto d = cli::parse_duration(ctx.timeout, "--timeout");
  if (!d) return d.error();
  return std::optional<Duration>(*d);
}

std::string schema(const std::string& command) { return "ikekit.ikectl." + command + "/1"; }

} // namespace

int request(Context& ctx, const std::string& command, const Json& args, const TextFn& text) {
  auto timeout = timeout_of(ctx);
  if (!timeout) return cli::report_error(kTool, timeout.error());
  auto conn = open(ctx, *timeout);
  if (!conn) return cli::report_error(kTool, conn.error());
  if (auto s = conn->client.send_line(ctl::request_line(1, command, args)); !s)
    return cli::report_error(kTool, s.error());
  json::JsonOutput out(std::cout, ctx.common.pretty);
  bool waiting = args.value("wait", false);
  bool answered = false;
  for (;;) {
    auto line = conn->client.read_line(*timeout);
    if (!line) return cli::report_error(kTool, line.error());
    auto reply = ctl::parse_reply(*line);
    if (!reply) return cli::report_error(kTool, reply.error());
    if (reply->type == "response" && !answered) {
      answered = true;
      if (!reply->ok) return cli::report_error(kTool, reply->error.value_or(Error{}));
      Json doc;
      if (waiting) doc["type"] = command;
      doc["schema"] = schema(command);
      for (auto it = reply->result.begin(); it != reply->result.end(); ++it)
        doc[it.key()] = it.value();
      if (ctx.text && text && !waiting) {
        text(reply->result, std::cout);
        std::cout.flush();
      } else {
        out.write(doc);
      }
      if (!waiting) return cli::kExitOk;
      continue;
    }
    if (reply->type == "event") {
      out.write(reply->event);
      continue;
    }
    if (reply->type == "done") {
      Json done = {{"type", "done"},
                   {"ok", reply->ok},
                   {"error", reply->error ? ctl::error_json(*reply->error) : Json()}};
      out.write(done);
      if (reply->ok) return cli::kExitOk;
      const Error& e = *reply->error;
      std::cerr << kTool << ": " << (e.field.empty() ? "" : e.field + ": ") << e.message
                << std::endl;
      return cli::kExitFailure;
    }
  }
}

Result<Json> query(Context& ctx, const std::string& command, const Json& args) {
  auto timeout = timeout_of(ctx);
  if (!timeout) return timeout.error();
  auto conn = open(ctx, *timeout);
  if (!conn) return conn.error();
  if (auto s = conn->client.send_line(ctl::request_line(1, command, args)); !s) return s.error();
  for (;;) {
    auto line = conn->client.read_line(*timeout);
    if (!line) return line.error();
    auto reply = ctl::parse_reply(*line);
    if (!reply) return reply.error();
    if (reply->type != "response") continue;
    if (!reply->ok) return reply->error.value_or(Error{});
    return reply->result;
  }
}

int monitor(Context& ctx, long count) {
  auto conn = open(ctx, std::chrono::seconds(10));
  if (!conn) return cli::report_error(kTool, conn.error());
  if (auto s = conn->client.send_line(ctl::request_line(1, "monitor", Json::object())); !s)
    return cli::report_error(kTool, s.error());
  json::JsonOutput out(std::cout, ctx.common.pretty);
  long seen = 0;
  for (;;) {
    auto line = conn->client.read_line(std::nullopt);
    if (!line) return cli::report_error(kTool, line.error());
    auto reply = ctl::parse_reply(*line);
    if (!reply) return cli::report_error(kTool, reply.error());
    if (reply->type == "response") {
      if (!reply->ok) return cli::report_error(kTool, reply->error.value_or(Error{}));
      out.write({{"type", "monitor"},
                 {"schema", schema("monitor")},
                 {"server", conn->hello.value("version", "")},
                 {"pid", conn->hello.value("pid", 0L)}});
      if (count == 0) return cli::kExitOk;
    } else if (reply->type == "event") {
      out.write(reply->event);
      if (count > 0 && ++seen >= count) return cli::kExitOk;
    }
  }
}

} // namespace ikectl
