#include "startup.hpp"

#include "cli/report.hpp"
#include "cli/thread_options.hpp"
#include "io/ike_up_events.hpp"

#include <iostream>

using namespace ikekit;

namespace ike_up {

Result<std::optional<SecretFileWriter>> open_keylog(const std::string& path) {
  if (path.empty()) return std::optional<SecretFileWriter>();
  auto w = SecretFileWriter::open_append(path, "--keylog");
  if (!w) return w.error();
  return std::optional<SecretFileWriter>(std::move(*w));
}

Result<std::unique_ptr<io::IkeRunner>> create_runner(cli::IkeUpSetup& setup,
                                                     const std::string& threads, Rng& rng,
                                                     io::IkeRunner::EventFn on_event,
                                                     std::vector<std::string>& locals) {
  io::IkeRunnerOptions ro;
  for (const auto& p : setup.config.peers)
    locals.push_back(p.local.address.to_string());
  ro.config = std::move(setup.config);
  ro.initiate = setup.initiate;
  ro.radius = std::move(setup.radius);
  ro.tcp = setup.tcp;
  auto chosen = cli::resolve_threads(threads, ro);
  if (!chosen) return chosen.error();
  if (!chosen->note.empty()) std::cerr << "ike-up: info: " << chosen->note << std::endl;
  ro.threads = chosen->engines;
  return io::IkeRunner::create(std::move(ro), rng, std::move(on_event));
}

Result<std::optional<io::KillSwitch>> install_kill_switch(cli::IkeUpSetup& setup,
                                                          const std::string& device) {
  if (!setup.kill_switch) return std::optional<io::KillSwitch>();
  setup.kill_switch->tunnel_device = device;
  auto k = io::KillSwitch::install(*setup.kill_switch);
  if (!k) return k.error();
  return std::optional<io::KillSwitch>(std::move(*k));
}

json::Json started_event(const StartedInfo& info, const cli::IkeUpOptions& opts,
                         const std::vector<std::string>& locals) {
  json::Json started = {
      {"type", "started"},
      {"schema", std::string(json::kSchemaIkeUp)},
      {"time", io::now_rfc3339()},
      {"version", cli::version_line("ike-up")},
      {"dataplane", info.dataplane},
      {"threads", info.threads},
      {"control_socket", info.control_socket ? json::Json(*info.control_socket) : json::Json()},
      {"device", info.device.empty() ? json::Json() : json::Json(info.device)},
      {"connections", json::Json::array()}};
  for (size_t i = 0; i < opts.connections.size(); ++i) {
    const auto& c = opts.connections[i];
    started["connections"].push_back(
        {{"name", c.name},
         {"role", c.role},
         {"local", locals.at(i)},
         {"remote", c.remote.empty() ? json::Json() : json::Json(c.remote)}});
  }
  started["kill_switch"] = info.kill_switch;
  started["dns_apply"] = info.dns_apply;
  return started;
}

} // namespace ike_up
