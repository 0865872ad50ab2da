// ikectl terminate (--ike NAME|SPI | --child NAME|SPI) [--wait]
#include "client.hpp"

namespace ikectl {

void add_terminate(CLI::App& app, Context& ctx) {
  auto* sub =
      app.add_subcommand("terminate", "Delete an IKE SA (with its Child SAs) or one Child SA");
  struct Args {
    std::string ike, child;
    bool wait = false;
  };
  auto a = std::make_shared<Args>();
  auto* ike = sub->add_option("--ike", a->ike, "IKE SA: connection name or IKE SPI (hex)");
  auto* child = sub->add_option("--child", a->child, "Child SA: name or ESP SPI (hex)");
  ike->excludes(child);
  sub->add_flag("--wait", a->wait,
                "Stream the events until it is deleted (exit 0) or it failed (exit 1)");
  sub->callback([&ctx, a] {
    ctx.run = [&ctx, a] {
      Json args = Json::object();
      if (!a->ike.empty()) args["ike"] = a->ike;
      if (!a->child.empty()) args["child"] = a->child;
      if (a->wait) args["wait"] = true;
      return request(ctx, "terminate", args);
    };
  });
}

} // namespace ikectl
