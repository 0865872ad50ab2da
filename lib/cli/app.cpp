#include "cli/app.hpp"

#include "cli/report.hpp"

#include <csignal>
#include <iostream>

namespace ikekit::cli {

void add_common_flags(CLI::App& app, CommonOptions& opts, const std::string& tool) {
  app.add_flag("--pretty", opts.pretty, "Indent JSON output");
  app.add_flag("-v,--verbose", opts.verbosity, "More diagnostics on stderr (repeatable)");
  app.set_version_flag("--version", version_line(tool));
}

int parse_args(CLI::App& app, const std::string& tool, int argc, char** argv) {
  // A closed stdout pipe (`| head`) or control client must make writes fail with EPIPE,
  // not kill the tool before it cleans up (ike-up deletes its SAs, esp-tunnel records
  // its sequence state).
  ::signal(SIGPIPE, SIG_IGN);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    std::cout << e.what() << std::endl;
    return kExitOk;
  } catch (const CLI::ParseError& e) {
    // CLI11 messages name the option ("--keys: File does not exist: x"); keep them.
    std::string msg = e.what();
    std::string field;
    if (auto colon = msg.find(": "); colon != std::string::npos && msg.rfind("--", 0) == 0) {
      field = msg.substr(0, colon);
      msg = msg.substr(colon + 2);
    }
    report_error(tool, make_error(Errc::usage, field, msg), kExitUsage);
    std::cerr << "Run with --help for more information." << std::endl;
    return kExitUsage;
  }
  return -1;
}

Result<Duration> parse_duration(std::string_view text, std::string_view field) {
  auto bad = [&] {
    return make_error(Errc::usage, std::string(field),
                      "\"" + std::string(text) +
                          "\": expected a duration like 30s, 2m, 1h or 500ms");
  };
  if (text.empty()) return bad();
  Duration total{0};
  size_t i = 0;
  while (i < text.size()) {
    size_t start = i;
    uint64_t n = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      n = n * 10 + uint64_t(text[i] - '0');
      if (n > 1000000000ULL) return bad();
      ++i;
    }
    if (i == start) return bad();
    std::string_view unit = text.substr(i, text.find_first_of("0123456789", i) - i);
    i += unit.size();
    using namespace std::chrono;
    if (unit == "ms")
      total += milliseconds(n);
    else if (unit == "s" || unit.empty())
      total += seconds(n);
    else if (unit == "m")
      total += minutes(n);
    else if (unit == "h")
      total += hours(n);
    else if (unit == "d")
      total += hours(24 * n);
    else
      return bad();
    if (unit.empty() && i < text.size()) return bad();
  }
  return total;
}

} // namespace ikekit::cli
