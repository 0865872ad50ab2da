// ikectl list-leases: the responder's address pools and their leases (RFC 7296 2.19).
#include "client.hpp"

namespace ikectl {

void add_list_leases(CLI::App& app, Context& ctx) {
  auto* sub = app.add_subcommand("list-leases", "Address pools and their virtual IP leases");
  sub->callback([&ctx] {
    ctx.run = [&ctx] { return request(ctx, "list-leases", Json::object(), list_leases_text); };
  });
}

} // namespace ikectl
