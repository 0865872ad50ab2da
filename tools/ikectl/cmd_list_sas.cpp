// ikectl list-sas [--ike NAME|SPI]: IKE SAs with their Child SAs.
#include "client.hpp"

namespace ikectl {

void add_list_sas(CLI::App& app, Context& ctx) {
  auto* sub = app.add_subcommand("list-sas", "IKE SAs and their Child SAs");
  auto ike = std::make_shared<std::string>();
  sub->add_option("--ike", *ike, "Only this connection name or IKE SPI (hex)");
  sub->callback([&ctx, ike] {
    ctx.run = [&ctx, ike] {
      Json args = Json::object();
      if (!ike->empty()) args["ike"] = *ike;
      return request(ctx, "list-sas", args, list_sas_text);
    };
  });
}

} // namespace ikectl
