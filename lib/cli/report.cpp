#include "cli/report.hpp"

#include "cli/version.hpp"

#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

namespace ikekit::cli {

ExitCode exit_code_for(const Error& e) {
  switch (e.code) {
  case Errc::usage:
    return kExitUsage;
  case Errc::environment:
    return kExitEnvironment;
  default:
    return kExitFailure;
  }
}

int report_error(std::string_view tool, const Error& e) {
  return report_error(tool, e, exit_code_for(e));
}

int report_error(std::string_view tool, const Error& e, ExitCode code) {
  nlohmann::json doc = {{"error",
                         {{"code", errc_name(e.code)},
                          {"field", e.field.empty() ? nlohmann::json() : nlohmann::json(e.field)},
                          {"message", e.message}}}};
  std::cout << doc.dump() << std::endl;
  std::cerr << tool << ": ";
  if (!e.field.empty()) std::cerr << e.field << ": ";
  std::cerr << e.message << std::endl;
  return code;
}

std::string version_line(std::string_view tool) {
  return std::string(tool) + " " IKEKIT_VERSION " (commit " IKEKIT_GIT_COMMIT ")";
}

} // namespace ikekit::cli
