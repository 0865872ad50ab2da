// ikectl kill-switch off: remove ike-up's kill switch (ike-up --kill-switch) while it
// runs, e.g. to reach the network directly after giving up on the tunnel.
#include "client.hpp"

namespace ikectl {

void add_kill_switch(CLI::App& app, Context& ctx) {
  auto* sub =
      app.add_subcommand("kill-switch", "Turn ike-up's kill switch off (its nftables table)");
  auto state = std::make_shared<std::string>();
  sub->add_option("state", *state, "off")->required()->check(CLI::IsMember({"off"}));
  sub->callback([&ctx, state] {
    ctx.run = [&ctx, state] { return request(ctx, "kill-switch", Json{{"state", *state}}); };
  });
}

} // namespace ikectl
