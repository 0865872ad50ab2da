#include "json/output.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>

namespace ikekit::json {

void JsonOutput::write(const Json& value) {
  if (!out_) return; // the reader went away (EPIPE): nothing more can be written
  // Invalid UTF-8 from the wire (an ID or vendor string) must not abort the output.
  out_ << value.dump(pretty_ ? 2 : -1, ' ', false, nlohmann::json::error_handler_t::replace)
       << '\n';
  out_.flush();
}

void JsonOutput::write_line(std::string_view line) {
  if (!out_) return;
  out_.write(line.data(), std::streamsize(line.size()));
  out_.flush();
}

Rfc3339Text rfc3339_utc_text(int64_t seconds, int64_t micros) {
  std::time_t t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  Rfc3339Text r;
  int n = std::snprintf(r.text, sizeof r.text, "%04d-%02d-%02dT%02d:%02d:%02d.%06lldZ",
                        tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                        tm.tm_sec, static_cast<long long>(micros));
  r.size = n < 0 ? 0 : std::min(size_t(n), sizeof r.text - 1);
  return r;
}

std::string rfc3339_utc(int64_t seconds, int64_t micros) {
  return std::string(rfc3339_utc_text(seconds, micros).view());
}

Json rounded(std::optional<double> v, int decimals) {
  if (!v || !std::isfinite(*v)) return nullptr;
  const double scale = std::pow(10.0, decimals);
  return std::round(*v * scale) / scale;
}

Json whole(std::optional<double> v) {
  if (!v || !std::isfinite(*v)) return nullptr;
  return int64_t(std::llround(*v));
}

} // namespace ikekit::json
