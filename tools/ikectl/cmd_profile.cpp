// ikectl profile --conn NAME --user ID --format FMT [-o FILE] ...: a client profile for
// one remote-access connection of the running ike-up (ctl/profile.hpp, ikectl(8)).
#include "base/secret_file.hpp"
#include "cli/report.hpp"
#include "client.hpp"
#include "ctl/profile.hpp"

#include "json/output.hpp"
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

using namespace ikekit;

namespace ikectl {

namespace {

struct Args {
  std::string conn, user, format, remote_address, output, password_file, ca, ca_out, password_out,
      local;
  bool on_demand = false, include_all_networks = false, include_password = false;
};

constexpr size_t kMaxPasswordBytes = 1024;
constexpr size_t kMaxCaBytes = 64 * 1024;

// FILE beside the output (or in the current directory), as an absolute path: the
// profile names it and is read from elsewhere.
std::string beside(const Args& a, const std::string& name) {
  namespace fs = std::filesystem;
  fs::path dir = a.output.empty() ? fs::path(".") : fs::path(a.output).parent_path();
  return fs::absolute(dir / name).lexically_normal().string();
}

Result<void> write_plain(const std::string& path, std::string_view text, std::string_view field) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  if (f) f << text;
  if (!f) return make_error(Errc::io, std::string(field), "\"" + path + "\": cannot be written");
  return {};
}

Result<std::string> read_text(const std::string& path, std::string_view field) {
  std::ifstream f(path, std::ios::binary);
  std::ostringstream s;
  if (f) s << f.rdbuf();
  if (!f || s.str().size() > kMaxCaBytes)
    return make_error(Errc::usage, std::string(field), "\"" + path + "\": cannot be read");
  return s.str();
}

// The options the writers take, from the flags and the files they name.
Result<ctl::ProfileOptions> options(Args& a, ctl::ProfileFormat format) {
  ctl::ProfileOptions o;
  o.user = a.user;
  o.remote_address = a.remote_address;
  o.on_demand = a.on_demand;
  o.include_all_networks = a.include_all_networks;
  o.local_address = a.local;
  if (a.include_password) {
    if (a.password_file.empty())
      return make_error(Errc::usage, "--include-password",
                        "needs --password-file FILE (mode 0600) with the user's EAP password");
    auto pw = read_secret_file(a.password_file, "--password-file", kMaxPasswordBytes);
    if (!pw) return pw.error();
    std::string s(reinterpret_cast<const char*>(pw->reveal().data()), pw->reveal().size());
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r'))
      s.pop_back();
    o.password = std::move(s);
  } else if (!a.password_file.empty()) {
    return make_error(Errc::usage, "--password-file", "only with --include-password");
  }
  if (!a.ca.empty()) {
    auto pem = read_text(a.ca, "--ca");
    if (!pem) return pem.error();
    o.ca_pem = std::move(*pem);
  }
  if (format == ctl::ProfileFormat::swanctl || format == ctl::ProfileFormat::ike_up) {
    o.ca_file = a.ca_out.empty() ? beside(a, a.conn + "-ca.pem") : a.ca_out;
    if (format == ctl::ProfileFormat::ike_up)
      o.password_file = a.password_out.empty() ? beside(a, a.conn + "-" + a.user + ".eap-password")
                                               : a.password_out;
  }
  return o;
}

// Writes the profile and what it names (the CA file, ike-up's password file).
Result<Json> write_all(const Args& a, ctl::ProfileFormat format, const ctl::ProfileOptions& o,
                       const std::string& text, const std::string& ca_pem) {
  Json done{{"schema", "ikekit.ikectl.profile/1"},
            {"conn", a.conn},
            {"user", a.user},
            {"format", std::string(ctl::profile_format_name(format))},
            {"file", a.output.empty() ? Json() : Json(a.output)},
            {"ca_file", o.ca_file.empty() ? Json() : Json(o.ca_file)},
            {"password_file", Json()},
            {"password_included", o.password.has_value()}};
  if (!o.ca_file.empty())
    if (auto r = write_plain(o.ca_file, ca_pem, "--ca-out"); !r) return r.error();
  if (format == ctl::ProfileFormat::ike_up) {
    done["password_file"] = o.password_file;
    if (o.password)
      if (auto r = replace_secret_file(o.password_file, *o.password + "\n", "--password-out"); !r)
        return r.error();
  }
  if (a.output.empty()) {
    std::cout << text;
    std::cout.flush();
  } else if (o.password) { // a password inside: 0600 from the start
    if (auto r = replace_secret_file(a.output, text, "-o"); !r) return r.error();
  } else if (auto r = write_plain(a.output, text, "-o"); !r) {
    return r.error();
  }
  return done;
}

int run(Context& ctx, Args& a) {
  auto format = ctl::profile_format_from_name(a.format);
  if (!format)
    return cli::report_error(kTool, make_error(Errc::usage, "--format",
                                               "\"" + a.format +
                                                   "\": expected mobileconfig, sswan, powershell, "
                                                   "swanctl or ike-up"));
  auto o = options(a, *format);
  if (!o) return cli::report_error(kTool, o.error());
  auto result = query(ctx, "profile", Json{{"conn", a.conn}});
  if (!result) return cli::report_error(kTool, result.error());
  auto facts = ctl::parse_profile_facts(*result);
  if (!facts) return cli::report_error(kTool, facts.error());
  auto text = ctl::write_profile(*format, *facts, *o);
  // A proposal the platform lacks, a server without a certificate: the server's
  // configuration does not fit the platform, a configuration error (exit 2).
  if (!text) return cli::report_error(kTool, text.error(), cli::kExitUsage);
  auto done = write_all(a, *format, *o, *text, o->ca_pem.value_or(facts->ca_pem.value_or("")));
  if (!done) return cli::report_error(kTool, done.error());
  if (!a.output.empty()) json::JsonOutput(std::cout, ctx.common.pretty).write(*done);
  return cli::kExitOk;
}

} // namespace

void add_profile(CLI::App& app, Context& ctx) {
  auto* sub = app.add_subcommand(
      "profile", "Write a client profile (iOS/macOS, Android, Windows, strongSwan, ike-up) "
                 "for a remote-access connection");
  auto a = std::make_shared<Args>();
  sub->add_option("--conn", a->conn, "The server's connection (see list-conns)")->required();
  sub->add_option("--user", a->user, "The user's EAP identity")->required();
  sub->add_option("--format", a->format, "mobileconfig, sswan, powershell, swanctl or ike-up")
      ->required();
  sub->add_option("--remote-address", a->remote_address,
                  "What clients dial (default: the server's listening address)");
  sub->add_flag("--on-demand", a->on_demand, "mobileconfig: connect on demand (always)");
  sub->add_flag("--include-all-networks", a->include_all_networks,
                "mobileconfig: IncludeAllNetworks (all traffic through the tunnel)");
  sub->add_flag("--include-password", a->include_password,
                "Write the password from --password-file into the profile");
  sub->add_option("--password-file", a->password_file, "The EAP password (a file of mode 0600)");
  sub->add_option("--ca", a->ca, "The CA certificate (PEM) when the server does not hold it");
  sub->add_option("--ca-out", a->ca_out,
                  "swanctl, ike-up: where the CA certificate is written (default beside -o)");
  sub->add_option("--password-out", a->password_out,
                  "ike-up: the eap_password_file (default beside -o)");
  sub->add_option("--local", a->local, "ike-up: the client's own address");
  sub->add_option("-o,--output", a->output, "Write the profile here (default: stdout)");
  sub->callback([&ctx, a] { ctx.run = [&ctx, a] { return run(ctx, *a); }; });
}

} // namespace ikectl
