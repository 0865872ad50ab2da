#include "bench/gate.hpp"

#include "bench/context.hpp"
#include "bench/stats.hpp"

#include <fstream>
#include <sstream>

namespace ikekit::bench {

namespace {
const json::Json* find_result(const json::Json& doc, const json::Json& name,
                              const json::Json& params) {
  for (const auto& r : doc["results"])
    if (r.is_object() && r.value("name", json::Json()) == name &&
        r.value("params", json::Json()) == params)
      return &r;
  return nullptr;
}

void compare(const std::string& metric, const json::Json& base, const json::Json& cur,
             const json::Json& result, double max_pct, GateReport& report) {
  if (!base.is_number() || !cur.is_number()) return;
  auto better = metric_direction(metric);
  if (!better) return;
  const double b = base.get<double>();
  const double c = cur.get<double>();
  ++report.compared;
  if (!is_regression(*better, b, c, max_pct)) return;
  report.regressions.push_back(GateRegression{result.value("name", std::string()),
                                              result.value("params", json::Json()), metric, b, c,
                                              change_pct(b, c).value_or(0.0)});
}
} // namespace

Result<void> check_bench_document(const json::Json& doc, const std::string& file,
                                  const std::string& field) {
  if (!doc.is_object() || !doc.contains("schema") || doc["schema"] != kSchemaBench)
    return make_error(Errc::usage, field,
                      "\"" + file + "\": not an " + std::string(kSchemaBench) +
                          " document (no \"schema\": \"" + std::string(kSchemaBench) + "\")");
  if (!doc.contains("results") || !doc["results"].is_array())
    return make_error(Errc::usage, field, "\"" + file + "\": has no \"results\" array");
  return {};
}

Result<json::Json> load_baseline(const std::string& path) {
  std::ifstream in(path);
  if (!in) return make_error(Errc::usage, "--baseline", "\"" + path + "\": cannot be read");
  std::stringstream text;
  text << in.rdbuf();
  json::Json doc = json::Json::parse(text.str(), nullptr, false);
  if (doc.is_discarded())
    return make_error(Errc::usage, "--baseline", "\"" + path + "\": is not JSON");
  auto ok = check_bench_document(doc, path, "--baseline");
  if (!ok) return ok.error();
  return doc;
}

GateReport run_gate(const json::Json& baseline, const json::Json& current, double max_pct) {
  GateReport report;
  for (const auto& r : current["results"]) {
    if (!r.is_object() || !r.value("error", json::Json()).is_null()) continue;
    const json::Json name = r.value("name", json::Json());
    const json::Json params = r.value("params", json::Json());
    const json::Json* b = find_result(baseline, name, params);
    if (!b) {
      report.unmatched.push_back(name.is_string() ? name.get<std::string>() + " " + params.dump()
                                                  : r.dump());
      continue;
    }
    for (const auto& [key, value] : r.items()) {
      if (key == "ratio" && value.is_object()) {
        const json::Json& bratio = b->value("ratio", json::Json::object());
        for (const auto& [rk, rv] : value.items())
          if (bratio.is_object() && bratio.contains(rk))
            compare("ratio." + rk, bratio[rk], rv, r, max_pct, report);
      } else if (b->contains(key)) {
        compare(key, (*b)[key], value, r, max_pct, report);
      }
    }
  }
  return report;
}

json::Json gate_to_json(const GateReport& report, const std::string& file, double max_pct) {
  json::Json regressions = json::Json::array();
  for (const auto& g : report.regressions)
    regressions.push_back({{"name", g.name},
                           {"params", g.params},
                           {"metric", g.metric},
                           {"baseline", g.baseline},
                           {"current", g.current},
                           {"change_pct", g.change_pct}});
  return {{"baseline", file},
          {"max_regression_pct", max_pct},
          {"compared", report.compared},
          {"regressions", std::move(regressions)},
          {"passed", report.passed()}};
}

} // namespace ikekit::bench
