// ike-up's start-up steps that main.cpp runs in order: each one job, each returning an
// error for main to report (main picks the exit code).
#pragma once

#include "base/result.hpp"
#include "base/rng.hpp"
#include "base/secret_file.hpp"
#include "cli/ike_up_options.hpp"
#include "io/ike_dataplane.hpp"
#include "io/ike_runner.hpp"
#include "io/kill_switch.hpp"

#include "json/ike_events.hpp"
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace ike_up {

// --keylog: the key log holds secrets, so it is created 0600 and appended to only if it
// is ours alone. nullopt without --keylog.
ikekit::Result<std::optional<ikekit::SecretFileWriter>> open_keylog(const std::string& path);

// The runner for the setup's engines (threads as --threads resolves them, a note about
// the choice on stderr). `locals` gets each connection's local address: --local, or the
// route's source (cli::build_peer).
ikekit::Result<std::unique_ptr<ikekit::io::IkeRunner>>
create_runner(ikekit::cli::IkeUpSetup& setup, const std::string& threads, ikekit::Rng& rng,
              ikekit::io::IkeRunner::EventFn on_event, std::vector<std::string>& locals);

// --kill-switch: its rules, for the data plane's device, before the first IKE packet.
// nullopt without --kill-switch.
ikekit::Result<std::optional<ikekit::io::KillSwitch>>
install_kill_switch(ikekit::cli::IkeUpSetup& setup, const std::string& device);

// The stream's "started" event (ikekit-json(7), ikekit.ike-up.events).
struct StartedInfo {
  std::string dataplane;
  uint32_t threads = 0;
  const std::string* control_socket = nullptr; // none without a control server
  std::string device;
  bool kill_switch = false;
  ikekit::json::Json dns_apply;
};
ikekit::json::Json started_event(const StartedInfo& info, const ikekit::cli::IkeUpOptions& opts,
                                 const std::vector<std::string>& locals);

} // namespace ike_up
