// What every ikectl subcommand shares: the global options, one request/response round
// trip over the control socket, the output document, and the --wait stream.
#pragma once

#include "cli/app.hpp"
#include "ctl/protocol.hpp"

#include <CLI/CLI.hpp>
#include <functional>
#include <string>

namespace ikectl {

using ikekit::ctl::Json;

inline constexpr const char* kTool = "ikectl";

struct Context {
  ikekit::cli::CommonOptions common;
  std::string socket = std::string(ikekit::ctl::kDefaultSocketPath);
  bool text = false;
  std::string timeout = "30s";
  std::function<int()> run; // set by the chosen subcommand
};

using TextFn = std::function<void(const Json& result, std::ostream& out)>;

// Sends `command` with `args`, prints the result as {"schema":"ikekit.ikectl.<command>/1",...}
// (or with `text` when --text and `text` is set). With args.wait true, streams the events
// as JSON Lines and ends with the done line. Returns the exit code (3 when the socket is
// missing or not permitted, 1 when a wait failed, 2 for a usage error from the server).
int request(Context& ctx, const std::string& command, const Json& args,
            const TextFn& text = nullptr);

// One request and its result, printing nothing (errors as Result).
ikekit::Result<Json> query(Context& ctx, const std::string& command, const Json& args);

// monitor: a header line, then every event line until interrupted, or `count` events.
int monitor(Context& ctx, long count);

// Subcommands, one file each.
void add_status(CLI::App& app, Context& ctx);
void add_list_conns(CLI::App& app, Context& ctx);
void add_list_sas(CLI::App& app, Context& ctx);
void add_list_leases(CLI::App& app, Context& ctx);
void add_initiate(CLI::App& app, Context& ctx);
void add_terminate(CLI::App& app, Context& ctx);
void add_rekey(CLI::App& app, Context& ctx);
void add_monitor(CLI::App& app, Context& ctx);
void add_load(CLI::App& app, Context& ctx);
void add_unload(CLI::App& app, Context& ctx);
void add_kill_switch(CLI::App& app, Context& ctx);
void add_profile(CLI::App& app, Context& ctx);

// --text renderings (text.cpp).
void status_text(const Json& r, std::ostream& out);
void list_conns_text(const Json& r, std::ostream& out);
void list_sas_text(const Json& r, std::ostream& out);
void list_leases_text(const Json& r, std::ostream& out);

} // namespace ikectl
