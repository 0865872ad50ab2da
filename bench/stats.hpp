// Statistics for ike-bench: order statistics over per-round samples, ratios, and the
// regression rule of the CI gate. Pure functions, no I/O, exactly specified so the
// tests can state exact expectations.
#pragma once

#include <optional>
#include <span>
#include <string_view>

namespace ikekit::bench {

// Nearest-rank percentile (the method of NIST/Wikipedia "nearest-rank"): sort the n
// samples ascending and take the value at 1-based rank ceil(p/100 * n), clamped to
// [1, n]. So p50 of {1,2,3,4} is 2 (rank 2), p90 of 10 samples is the 9th, p99 of fewer
// than 100 samples is the largest, p100 is the maximum and p0 the minimum. Ties need
// no special rule: equal values are interchangeable. nullopt for no samples, for p
// outside [0, 100], or for a NaN sample.
std::optional<double> percentile(std::span<const double> samples, double p);

// The median in the usual sense: the middle value of an odd count, the mean of the two
// middle values of an even count ({1,2,3,4} -> 2.5). This is what ike-bench reports as
// the central value of its rounds. nullopt for no samples or a NaN sample.
std::optional<double> median(std::span<const double> samples);

struct Percentiles {
  double p50 = 0; // nearest-rank (not the interpolated median above)
  double p90 = 0;
  double p99 = 0;
  double max = 0;
};
std::optional<Percentiles> percentiles(std::span<const double> samples);

// How far the samples scatter around their median: (max - min) / median * 100.
// 0 for one sample; nullopt for no samples or a median of 0.
std::optional<double> spread_pct(std::span<const double> samples);

// numerator / denominator; nullopt when the denominator is 0, negative or either
// value is not finite (a ratio against nothing is not 0, it is unknown).
std::optional<double> ratio(double numerator, double denominator);

// Whether a larger value of a metric is good (a rate) or bad (a latency, CPU, memory).
enum class Better { higher, lower };

// The direction of a result metric, from the unit in its name (DESIGN 4 puts units in
// key names): "*_per_s", "*_pps", "*_bps" and ratio entries ("ratio.*") are rates;
// "*_ns", "*_us", "*_ms", "*_s", "*_cpu_pct" and "*_bytes" (memory) are costs.
// nullopt for anything else (counts, rounds, spreads), which the gate does not compare.
std::optional<Better> metric_direction(std::string_view metric);

// (current - baseline) / baseline * 100; nullopt when baseline is 0 or not finite.
std::optional<double> change_pct(double baseline, double current);

// The gate's rule: a rate regressed when it dropped by more than max_pct percent
// (change_pct < -max_pct), a cost when it rose by more than max_pct (change_pct >
// max_pct). A change of exactly max_pct passes. A baseline of 0 or a non-finite
// value never counts as a regression (there is nothing to compare against).
bool is_regression(Better better, double baseline, double current, double max_pct);

} // namespace ikekit::bench
