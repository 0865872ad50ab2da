#include "ctl/protocol.hpp"

namespace ikekit::ctl {

namespace {

std::string dump(const Json& j) {
  // Invalid UTF-8 from a client (echoed ids, names) is replaced, never thrown.
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

Error bad(std::string field, std::string message) {
  return make_error(Errc::bad_value, std::move(field), std::move(message));
}

} // namespace

Result<Request> parse_request(std::string_view line, Json* id_out) {
  Json j = Json::parse(line.begin(), line.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return bad("line", "not valid JSON; expected one object per line");
  if (!j.is_object())
    return bad("line", "expected a JSON object like {\"id\":1,\"command\":\"status\"}");
  Request r;
  if (auto it = j.find("id"); it != j.end()) {
    if (!it->is_number_integer() && !it->is_number_unsigned() && !it->is_string() && !it->is_null())
      return bad("id", "expected an integer or a string");
    r.id = *it;
    if (id_out) *id_out = r.id;
  }
  auto cmd = j.find("command");
  if (cmd == j.end())
    return make_error(Errc::usage, "command", "missing; expected e.g. \"status\"");
  if (!cmd->is_string()) return bad("command", "expected a string");
  r.command = cmd->get<std::string>();
  r.args = Json::object();
  if (auto a = j.find("args"); a != j.end() && !a->is_null()) {
    if (!a->is_object()) return bad("args", "expected an object");
    r.args = *a;
  }
  for (auto it = j.begin(); it != j.end(); ++it)
    if (it.key() != "id" && it.key() != "command" && it.key() != "args")
      return bad(it.key(), "unknown key; a request has id, command and args");
  return r;
}

Json error_json(const Error& e) {
  return {{"code", std::string(errc_name(e.code))},
          {"field", e.field.empty() ? Json() : Json(e.field)},
          {"message", e.message}};
}

std::string hello_line(std::string_view version, long pid) {
  return dump({{"type", "hello"},
               {"schema", std::string(kSchemaCtl)},
               {"version", std::string(version)},
               {"pid", pid}});
}

std::string ok_line(const Json& id, const Json& result) {
  return dump({{"type", "response"}, {"id", id}, {"ok", true}, {"result", result}});
}

std::string error_line(const Json& id, const Error& e) {
  return dump({{"type", "response"}, {"id", id}, {"ok", false}, {"error", error_json(e)}});
}

std::string event_line(const Json& id, const Json& event) {
  return dump({{"type", "event"}, {"id", id}, {"event", event}});
}

std::string done_line(const Json& id, bool ok, const Json& event, const Error* error) {
  return dump({{"type", "done"},
               {"id", id},
               {"ok", ok},
               {"event", event},
               {"error", error ? error_json(*error) : Json()}});
}

std::string request_line(const Json& id, std::string_view command, const Json& args) {
  return dump({{"id", id}, {"command", std::string(command)}, {"args", args}});
}

Errc errc_from_name(std::string_view name) {
  for (int c = 0; c <= int(Errc::timeout); ++c)
    if (errc_name(Errc(c)) == name) return Errc(c);
  return Errc::bad_value;
}

Result<Reply> parse_reply(std::string_view line) {
  Json j = Json::parse(line.begin(), line.end(), nullptr, false);
  if (j.is_discarded() || !j.is_object())
    return bad("reply", "the server sent a line that is not a JSON object");
  Reply r;
  auto type = j.find("type");
  if (type == j.end() || !type->is_string()) return bad("reply.type", "missing");
  r.type = type->get<std::string>();
  if (auto it = j.find("id"); it != j.end()) r.id = *it;
  if (auto it = j.find("ok"); it != j.end() && it->is_boolean()) r.ok = it->get<bool>();
  if (auto it = j.find("result"); it != j.end()) r.result = *it;
  if (auto it = j.find("event"); it != j.end()) r.event = *it;
  if (auto it = j.find("error"); it != j.end() && it->is_object()) {
    Error e;
    if (auto c = it->find("code"); c != it->end() && c->is_string())
      e.code = errc_from_name(c->get<std::string>());
    if (auto f = it->find("field"); f != it->end() && f->is_string())
      e.field = f->get<std::string>();
    if (auto m = it->find("message"); m != it->end() && m->is_string())
      e.message = m->get<std::string>();
    r.error = e;
  }
  r.raw = std::move(j);
  return r;
}

} // namespace ikekit::ctl
