// The ikectl <-> ike-up control protocol (ikectl(8), ikekit-json(7) "ikekit.ctl/1"):
// JSON Lines over a unix stream socket, one object per line, each with a "type".
//
//   server, on connect:  {"type":"hello","schema":"ikekit.ctl/1","version":"...","pid":123}
//   client request:      {"id":1,"command":"list-sas","args":{"ike":"home"}}
//   server response:     {"type":"response","id":1,"ok":true,"result":{...}}
//                        {"type":"response","id":1,"ok":false,"error":{"code","field","message"}}
//   streamed (monitor, or a request with "wait":true):
//                        {"type":"event","id":1,"event":{...an ike-up event line...}}
//   end of a wait: {"type":"done","id":1,"ok":true|false,"event":{...}|null,"error":{...}|null}
//
// Sans-I/O: this layer parses and builds lines; lib/io moves the bytes.
#pragma once

#include "base/result.hpp"

#include <cstddef>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace ikekit::ctl {

using Json = nlohmann::ordered_json; // the same type as json::Json

inline constexpr std::string_view kSchemaCtl = "ikekit.ctl/1";
// A request line longer than this (without its '\n') is refused (field "line").
inline constexpr size_t kMaxLineBytes = 64 * 1024;
inline constexpr std::string_view kDefaultSocketPath = "/run/ikekit/ike-up.sock";

struct Request {
  Json id;             // a number, a string or null (echoed in the response)
  std::string command; // "status", "list-sas", ...
  Json args;           // always an object (empty when the request had none)
};

// Parses one line (without its '\n'). Errors (Errc::bad_value, Errc::usage) name the
// field: "line" (not JSON / not an object), "id", "command", "args". The id is recovered
// into `id_out` whenever the line was a JSON object with a valid id, so the error
// response can still carry it.
Result<Request> parse_request(std::string_view line, Json* id_out = nullptr);

// {"code":"not_found","field":"args.ike","message":"..."}; field null when empty.
Json error_json(const Error& e);

// Response and stream lines, without the trailing '\n'.
std::string hello_line(std::string_view version, long pid);
std::string ok_line(const Json& id, const Json& result);
std::string error_line(const Json& id, const Error& e);
std::string event_line(const Json& id, const Json& event);
std::string done_line(const Json& id, bool ok, const Json& event, const Error* error);

// Client side: one line from the server.
struct Reply {
  std::string type; // "hello", "response", "event", "done"
  Json id;
  bool ok = false;
  Json result;                // response ok
  Json event;                 // event, done
  std::optional<Error> error; // response or done with ok false
  Json raw;                   // the whole line
};
Result<Reply> parse_reply(std::string_view line);

// A request line, for the client.
std::string request_line(const Json& id, std::string_view command, const Json& args);

// Errc from its snake_case name ("not_found"); Errc::bad_value when unknown.
Errc errc_from_name(std::string_view name);

} // namespace ikekit::ctl
