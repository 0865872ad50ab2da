#include "cli/thread_options.hpp"

#include "io/ike_runner.hpp"

#include <charconv>
#include <optional>

namespace ikekit::cli {

Result<uint32_t> resolve_threads(const std::string& text, const ike::Config& config, bool radius) {
  std::optional<std::string> why = io::check_shardable(config);
  if (radius) why = "EAP relayed to RADIUS";
  if (text == "auto") return 1u;
  uint32_t n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || end != text.data() + text.size() || n < 1 || n > ike::kMaxShards)
    return make_error(Errc::usage, "--threads",
                      "\"" + text + "\": expected auto or a number from 1 to " +
                          std::to_string(ike::kMaxShards));
  if (n > 1 && why)
    return make_error(Errc::usage, "--threads",
                      "\"" + text + "\": several engines cannot serve " + *why +
                          " yet; use --threads 1");
  return n;
}

} // namespace ikekit::cli
