#include "cli/thread_options.hpp"

#include <algorithm>
#include <charconv>
#include <optional>
#include <unistd.h>

namespace ikekit::cli {

namespace {

// Why several engines cannot serve `ro` (nullopt: they can).
std::optional<std::string> unshardable(const io::IkeRunnerOptions& ro) {
  if (!ro.radius.empty()) return "EAP relayed to RADIUS";
  return io::check_shardable(ro.config);
}

uint32_t online_cores() {
  long n = ::sysconf(_SC_NPROCESSORS_ONLN);
  return uint32_t(std::clamp<long>(n, 1, ike::kMaxShards));
}

ThreadChoice automatic(const io::IkeRunnerOptions& ro) {
  const uint32_t cores = online_cores();
  if (cores == 1) return {1, ""};
  auto one = [](const std::string& why) {
    return ThreadChoice{1, "--threads auto: 1 engine, as several cannot serve " + why};
  };
  if (auto why = unshardable(ro)) return one(*why);
  if (ro.initiate.size() >= ro.config.peers.size())
    return one("connections we only initiate (engine 0 runs them all)");
  return {cores, ""};
}

} // namespace

Result<ThreadChoice> resolve_threads(const std::string& text, const io::IkeRunnerOptions& ro) {
  if (text == "auto") return automatic(ro);
  uint32_t n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || end != text.data() + text.size() || n < 1 || n > ike::kMaxShards)
    return make_error(Errc::usage, "--threads",
                      "\"" + text + "\": expected auto or a number from 1 to " +
                          std::to_string(ike::kMaxShards));
  if (n > 1)
    if (auto why = unshardable(ro))
      return make_error(Errc::usage, "--threads",
                        "\"" + text + "\": several engines cannot serve " + *why +
                            " yet; use --threads 1");
  return ThreadChoice{n, ""};
}

} // namespace ikekit::cli
