#include "bench/stats.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

namespace ikekit::bench {

namespace {
std::optional<std::vector<double>> sorted_copy(std::span<const double> samples) {
  if (samples.empty()) return std::nullopt;
  if (std::any_of(samples.begin(), samples.end(), [](double v) { return std::isnan(v); }))
    return std::nullopt;
  std::vector<double> v(samples.begin(), samples.end());
  std::sort(v.begin(), v.end());
  return v;
}

double nearest_rank(const std::vector<double>& sorted, double p) {
  const size_t n = sorted.size();
  // Rank ceil(p/100 * n); the small epsilon keeps exact products (0.9 * 10) from
  // rounding up to the next rank through floating-point error.
  double exact = p / 100.0 * double(n);
  size_t rank = size_t(std::ceil(exact - 1e-9));
  rank = std::clamp<size_t>(rank, 1, n);
  return sorted[rank - 1];
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}
} // namespace

std::optional<double> percentile(std::span<const double> samples, double p) {
  if (!(p >= 0.0 && p <= 100.0)) return std::nullopt;
  auto v = sorted_copy(samples);
  if (!v) return std::nullopt;
  return nearest_rank(*v, p);
}

std::optional<double> median(std::span<const double> samples) {
  auto v = sorted_copy(samples);
  if (!v) return std::nullopt;
  const size_t n = v->size();
  if (n % 2 == 1) return (*v)[n / 2];
  return ((*v)[n / 2 - 1] + (*v)[n / 2]) / 2.0;
}

std::optional<Percentiles> percentiles(std::span<const double> samples) {
  auto v = sorted_copy(samples);
  if (!v) return std::nullopt;
  return Percentiles{nearest_rank(*v, 50), nearest_rank(*v, 90), nearest_rank(*v, 99), v->back()};
}

std::optional<double> spread_pct(std::span<const double> samples) {
  auto v = sorted_copy(samples);
  if (!v) return std::nullopt;
  auto m = median(samples);
  if (!m || *m == 0.0) return std::nullopt;
  return (v->back() - v->front()) / *m * 100.0;
}

std::optional<double> ratio(double numerator, double denominator) {
  if (!std::isfinite(numerator) || !std::isfinite(denominator) || denominator <= 0.0)
    return std::nullopt;
  return numerator / denominator;
}

std::optional<Better> metric_direction(std::string_view metric) {
  if (metric.rfind("ratio.", 0) == 0) return Better::higher;
  for (std::string_view s : {"_per_s", "_pps", "_bps"})
    if (ends_with(metric, s)) return Better::higher;
  for (std::string_view s : {"_ns", "_us", "_ms", "_s", "_cpu_pct", "_bytes"})
    if (ends_with(metric, s)) return Better::lower;
  return std::nullopt;
}

std::optional<double> change_pct(double baseline, double current) {
  if (!std::isfinite(baseline) || !std::isfinite(current) || baseline == 0.0) return std::nullopt;
  return (current - baseline) / std::fabs(baseline) * 100.0;
}

bool is_regression(Better better, double baseline, double current, double max_pct) {
  auto c = change_pct(baseline, current);
  if (!c) return false;
  return better == Better::higher ? *c < -max_pct : *c > max_pct;
}

} // namespace ikekit::bench
