// The one way tools write JSON to stdout (DESIGN 4): a document, or JSON Lines
// flushed one object per line so a shell script can react to each event.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <string_view>

namespace ikekit::json {

using Json = nlohmann::ordered_json; // keys stay in the order we write them

// "ikekit.<tool>.<kind>/<major>" or "ikekit.<tool>/<major>"; documented in ikekit-json(7).
inline constexpr std::string_view kSchemaDecode = "ikekit.ike-decode/1";
inline constexpr std::string_view kSchemaKeylog = "ikekit.keylog/1";

class JsonOutput {
public:
  JsonOutput(std::ostream& out, bool pretty) : out_(out), pretty_(pretty) {}
  // One line (or an indented block with --pretty), flushed.
  void write(const Json& value);
  // One line already rendered as compact JSON (json/event_line.hpp), newline included,
  // flushed: what write() would have written for its value without --pretty.
  void write_line(std::string_view line);
  bool pretty() const { return pretty_; }
  // False once a write failed (stdout closed: EPIPE with SIGPIPE ignored).
  bool ok() const { return bool(out_); }

private:
  std::ostream& out_;
  bool pretty_;
};

// RFC 3339 UTC timestamp with microseconds from seconds + microseconds since the epoch.
std::string rfc3339_utc(int64_t seconds, int64_t micros);
// The same text in a value (no allocation), for a line rendered into a reused buffer.
struct Rfc3339Text {
  char text[64];
  size_t size = 0;
  std::string_view view() const { return {text, size}; }
};
Rfc3339Text rfc3339_utc_text(int64_t seconds, int64_t micros);

// A measured number rounded to `decimals` places; null when it is unknown or not finite
// (JSON has no NaN or infinity).
Json rounded(std::optional<double> v, int decimals);
// A measured number rounded to a whole one, written as an integer; null when it is
// unknown or not finite.
Json whole(std::optional<double> v);

// The value, or null when there is none (nlohmann 3.11.2 does not convert std::optional).
template <class T> Json or_null(const std::optional<T>& v) { return v ? Json(*v) : Json(); }
// The value when it is `known` (e.g. measured by a run that succeeded), else null.
template <class T> Json or_null(bool known, const T& v) { return known ? Json(v) : Json(); }

} // namespace ikekit::json
