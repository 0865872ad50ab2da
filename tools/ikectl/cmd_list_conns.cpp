// ikectl list-conns: the configured connections and their settings (no secrets).
#include "client.hpp"

namespace ikectl {

void add_list_conns(CLI::App& app, Context& ctx) {
  auto* sub =
      app.add_subcommand("list-conns", "Configured connections with their settings (no secrets)");
  sub->callback([&ctx] {
    ctx.run = [&ctx] { return request(ctx, "list-conns", Json::object(), list_conns_text); };
  });
}

} // namespace ikectl
