#include "bench/context.hpp"

#include "cli/version.hpp"

#include <chrono>
#include <fstream>
#include <optional>
#include <set>
#include <sys/utsname.h>
#include <unistd.h>

#ifndef IKEKIT_BUILD_TYPE
#define IKEKIT_BUILD_TYPE ""
#endif

namespace ikekit::bench {

namespace {
std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n'))
    s.remove_suffix(1);
  return s;
}

// The first "key : value" line of /proc/cpuinfo with this key.
std::optional<std::string> cpuinfo_field(std::string_view key) {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    if (trim(std::string_view(line).substr(0, colon)) == key)
      return std::string(trim(std::string_view(line).substr(colon + 1)));
  }
  return std::nullopt;
}

json::Json string_or_null(const std::optional<std::string>& s) {
  return s && !s->empty() ? json::Json(*s) : json::Json();
}
} // namespace

std::vector<std::string> crypto_cpu_flags(std::string_view flags_line) {
  std::set<std::string_view> present;
  size_t i = 0;
  while (i < flags_line.size()) {
    size_t j = flags_line.find_first_of(" \t\n", i);
    if (j == std::string_view::npos) j = flags_line.size();
    if (j > i) present.insert(flags_line.substr(i, j - i));
    i = j + 1;
  }
  std::vector<std::string> out;
  for (std::string_view f : kCryptoCpuFlags)
    if (present.count(f)) out.emplace_back(f);
  return out;
}

json::Json collect_context() {
  json::Json c = json::Json::object();
  char host[256] = {};
  c["host"] = gethostname(host, sizeof host - 1) == 0 ? json::Json(host) : json::Json();
  utsname u{};
  c["kernel"] = uname(&u) == 0 ? json::Json(std::string(u.release)) : json::Json();
  long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  c["cpus"] = cpus > 0 ? json::Json(cpus) : json::Json();
  c["cpu_model"] = string_or_null(cpuinfo_field("model name"));
  auto flags = cpuinfo_field("flags");
  c["cpu_flags"] = flags ? json::Json(crypto_cpu_flags(*flags)) : json::Json();
  c["openssl_version"] = nullptr; // see context.hpp
  std::string build_type = IKEKIT_BUILD_TYPE;
  c["build_type"] = build_type.empty() ? json::Json() : json::Json(build_type);
  c["ikekit_version"] = IKEKIT_VERSION;
  c["git_commit"] = IKEKIT_GIT_COMMIT;
  auto now = std::chrono::system_clock::now().time_since_epoch();
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(now).count();
  c["date"] = json::rfc3339_utc(us / 1000000, us % 1000000);
  return c;
}

} // namespace ikekit::bench
