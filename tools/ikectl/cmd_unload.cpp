// ikectl unload NAME: remove a connection (refused by this ike-up: see ikectl(8)).
#include "client.hpp"

namespace ikectl {

void add_unload(CLI::App& app, Context& ctx) {
  auto* sub = app.add_subcommand("unload", "Remove a connection");
  auto name = std::make_shared<std::string>();
  sub->add_option("name", *name, "Connection name")->required();
  sub->callback([&ctx, name] { ctx.run = [&ctx, name] { return request(ctx, "unload", {{"name", *name}}); }; });
}

}  // namespace ikectl
