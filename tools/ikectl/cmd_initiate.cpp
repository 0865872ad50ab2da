// ikectl initiate NAME [--child NAME] [--wait]: start a configured connection.
#include "client.hpp"

namespace ikectl {

void add_initiate(CLI::App& app, Context& ctx) {
  auto* sub =
      app.add_subcommand("initiate", "Initiate a configured connection (IKE SA and its Child SA)");
  struct Args {
    std::string name, child;
    bool wait = false;
  };
  auto a = std::make_shared<Args>();
  sub->add_option("name", a->name, "Connection name (see list-conns)")->required();
  sub->add_option("--child", a->child, "The Child SA to bring up (the connection's child)");
  sub->add_flag("--wait", a->wait,
                "Stream the events until the Child SA is up (exit 0) or it failed (exit 1)");
  sub->callback([&ctx, a] {
    ctx.run = [&ctx, a] {
      Json args = {{"name", a->name}};
      if (!a->child.empty()) args["child"] = a->child;
      if (a->wait) args["wait"] = true;
      return request(ctx, "initiate", args);
    };
  });
}

} // namespace ikectl
