// ikectl unload NAME [--wait]: remove a connection; its IKE SAs are deleted (D(IKE)).
#include "client.hpp"

namespace ikectl {

void add_unload(CLI::App& app, Context& ctx) {
  auto* sub = app.add_subcommand("unload", "Remove a connection and delete its IKE SAs");
  struct Args {
    std::string name;
    bool wait = false;
  };
  auto a = std::make_shared<Args>();
  sub->add_option("name", a->name, "Connection name")->required();
  sub->add_flag("--wait", a->wait,
                "Stream the events until its IKE SAs are deleted (exit 0) or it failed (exit 1)");
  sub->callback([&ctx, a] {
    ctx.run = [&ctx, a] {
      Json args = {{"name", a->name}};
      if (a->wait) args["wait"] = true;
      return request(ctx, "unload", args);
    };
  });
}

} // namespace ikectl
