// ikectl status: version, uptime, listening addresses, data plane, counters.
#include "client.hpp"

namespace ikectl {

void add_status(CLI::App& app, Context& ctx) {
  auto* sub =
      app.add_subcommand("status", "Daemon version, uptime, addresses, counters, SAs by state");
  sub->callback(
      [&ctx] { ctx.run = [&ctx] { return request(ctx, "status", Json::object(), status_text); }; });
}

} // namespace ikectl
