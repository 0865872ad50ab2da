// What ike-up does with each engine event (ike-up(8), ikekit-json(7)): feeds the data
// plane, writes the key log (IKE SA keys from SaKeys, Child SA keys from ChildSaUp),
// prints one JSON line, publishes it on the control socket, and tracks the connections
// it initiates: one that fails before it is up ends the run with exit 1. With
// --dns-apply, the DNS servers of the configuration payload are applied while a Child SA
// that brought them is up (dns_applied, dns_restored). A data plane that stops on an
// error (dataplane_error, fatal) ends the run: every IKE SA is deleted, exit 1.
#pragma once

#include "base/secret_file.hpp"
#include "ike/events.hpp"
#include "io/control_socket.hpp"
#include "io/dns_apply.hpp"
#include "io/ike_dataplane.hpp"
#include "io/ike_runner.hpp"
#include "io/kill_switch.hpp"

#include "json/event_line.hpp"
#include "json/output.hpp"
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace ikekit::io {

// Wall-clock time as RFC 3339 UTC with microseconds, for event lines.
std::string now_rfc3339();
json::Rfc3339Text now_rfc3339_text(); // the same, no allocation

// The kill_switch line: on (with what passes) or off (and why: `reason`).
json::Json kill_switch_event(const KillSwitch& k, const char* reason);

class IkeUpEvents {
public:
  // `initiate`: the connections this run initiates. `verbosity` > 0: each event's type
  // also goes to stderr, prefixed with `tool`. `out` writes to standard output. The
  // events of every SA's life are written by json::EventLineRenderer into a reused
  // buffer when nothing else wants them as a JSON value (no control socket, no -v, no
  // --pretty): through nlohmann they were an eighth of a responder's CPU per handshake
  // (ike-bench handshake --mode udp).
  IkeUpEvents(json::JsonOutput& out, std::optional<SecretFileWriter> keylog,
              const std::vector<std::string>& initiate, int verbosity, std::string tool);

  // The parts that exist once the runner does; each may stay null.
  void attach(IkeRunner* runner, EngineDataplane* dataplane, ControlServer* control);

  // --dns-apply (nullopt: none): picks the method before anything starts
  // (Errc::environment when the one asked for is not available); from then on the DNS
  // servers a Child SA brings are applied while one is up. `paths`: for tests.
  Result<void> use_dns(const std::optional<DnsRequest>& request, DnsPaths paths = {});
  // The started line's dns_apply: the method's name, or null without --dns-apply.
  json::Json dns_apply_json() const;
  // Puts back what an earlier run killed by SIGKILL (or a crash) left applied, with a
  // dns_restored line (stale_state) for each; after the started line.
  Result<void> repair_stale_dns();
  // Puts back the DNS servers still applied, with `reason` (exit); writes dns_restored.
  void restore_dns(const std::string& reason);

  void on_event(const ike::Event& e);
  // An initiated connection failed (Failure or IkeSaDown) before its IKE SA was up.
  bool initiator_failed() const { return initiator_failed_; }

private:
  void log_keys(const std::vector<json::Json>& lines);
  // One JSON line on stdout (and to the control socket's monitors, and -v's type).
  void write_event(const ike::Event& e);
  void track_initiators(const ike::Event& e);
  void write_dataplane_error(const Error& e, bool fatal);
  void dataplane_failed(const Error& e);
  void track_dns(const ike::Event& e);
  void dns_failed(const Error& e);

  json::JsonOutput& out_;
  std::optional<SecretFileWriter> keylog_;
  std::set<std::string> pending_; // initiated connections not up yet
  int verbosity_;
  std::string tool_;
  bool initiator_failed_ = false;
  json::EventLineRenderer lines_; // the line buffer, reused event after event
  IkeRunner* runner_ = nullptr;
  EngineDataplane* dataplane_ = nullptr;
  ControlServer* control_ = nullptr;
  std::unique_ptr<DnsApplier> dns_;
  std::set<uint32_t> dns_children_; // spi_in of the Child SAs up with DNS servers
};

} // namespace ikekit::io
