// ikectl monitor [--count N]: stream every event of ike-up until interrupted.
#include "client.hpp"

namespace ikectl {

void add_monitor(CLI::App& app, Context& ctx) {
  auto* sub =
      app.add_subcommand("monitor", "Stream ike-up's events (JSON Lines) until interrupted");
  auto count = std::make_shared<long>(-1);
  sub->add_option("--count", *count, "Stop after N events");
  sub->callback([&ctx, count] { ctx.run = [&ctx, count] { return monitor(ctx, *count); }; });
}

} // namespace ikectl
