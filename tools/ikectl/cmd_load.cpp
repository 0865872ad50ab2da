// ikectl load --config FILE.json: add or replace connections at run time. The file has
// ike-up's --config format; the daemon reads it (the path is made absolute here).
#include "cli/report.hpp"
#include "client.hpp"

#include <climits>
#include <cstdlib>

namespace ikectl {

void add_load(CLI::App& app, Context& ctx) {
  auto* sub = app.add_subcommand(
      "load", "Add or replace connections from a JSON file (ike-up --config format)");
  auto path = std::make_shared<std::string>();
  sub->add_option("--config", *path, "JSON file with connections")->required();
  sub->callback([&ctx, path] {
    ctx.run = [&ctx, path] {
      char abs[PATH_MAX];
      if (!::realpath(path->c_str(), abs))
        return ikekit::cli::report_error(kTool,
                                         ikekit::make_error(ikekit::Errc::usage, "--config",
                                                            "\"" + *path + "\": cannot be read"));
      return request(ctx, "load", {{"config", std::string(abs)}});
    };
  });
}

} // namespace ikectl
