// bench/stats: nearest-rank percentiles, median, spread, ratio and the gate's rule,
// with exact expectations including the edge cases (no sample, one sample, ties).
#include "bench/stats.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <vector>

using namespace ikekit::bench;

TEST_CASE("percentile: nearest rank ceil(p/100 * n) of the sorted samples") {
  const std::vector<double> ten = {10, 1, 9, 2, 8, 3, 7, 4, 6, 5}; // unsorted on purpose
  CHECK(percentile(ten, 50) == 5.0);                               // rank 5
  CHECK(percentile(ten, 90) == 9.0);  // rank 9 (not 10: 0.9 * 10 is exact)
  CHECK(percentile(ten, 91) == 10.0); // rank ceil(9.1) = 10
  CHECK(percentile(ten, 99) == 10.0);
  CHECK(percentile(ten, 100) == 10.0);
  CHECK(percentile(ten, 10) == 1.0); // rank 1
  CHECK(percentile(ten, 11) == 2.0); // rank 2
  CHECK(percentile(ten, 0) == 1.0);  // rank clamped to 1: the minimum
  const std::vector<double> four = {1, 2, 3, 4};
  CHECK(percentile(four, 50) == 2.0); // rank 2, not the interpolated 2.5
  CHECK(percentile(four, 75) == 3.0);
  CHECK(percentile(four, 76) == 4.0);
}

TEST_CASE("percentile: 100 samples hit p99 exactly") {
  std::vector<double> v;
  for (int i = 100; i >= 1; --i)
    v.push_back(i);
  CHECK(percentile(v, 99) == 99.0);
  CHECK(percentile(v, 90) == 90.0);
  CHECK(percentile(v, 50) == 50.0);
}

TEST_CASE("percentile edge cases: empty, one sample, ties, bad p, NaN") {
  CHECK_FALSE(percentile({}, 50).has_value());
  const std::vector<double> one = {7.5};
  CHECK(percentile(one, 0) == 7.5);
  CHECK(percentile(one, 50) == 7.5);
  CHECK(percentile(one, 99) == 7.5);
  const std::vector<double> ties = {3, 3, 3, 1, 3};
  CHECK(percentile(ties, 10) == 1.0);
  CHECK(percentile(ties, 20) == 1.0); // rank 1
  CHECK(percentile(ties, 21) == 3.0); // rank 2
  CHECK(percentile(ties, 100) == 3.0);
  CHECK_FALSE(percentile(ties, -1).has_value());
  CHECK_FALSE(percentile(ties, 100.5).has_value());
  CHECK_FALSE(percentile(ties, std::nan("")).has_value());
  const std::vector<double> with_nan = {1, std::nan(""), 3};
  CHECK_FALSE(percentile(with_nan, 50).has_value());
}

TEST_CASE("percentiles: p50/p90/p99 nearest rank and max") {
  const std::vector<double> ten = {10, 1, 9, 2, 8, 3, 7, 4, 6, 5};
  auto p = percentiles(ten);
  REQUIRE(p);
  CHECK(p->p50 == 5.0);
  CHECK(p->p90 == 9.0);
  CHECK(p->p99 == 10.0);
  CHECK(p->max == 10.0);
  CHECK_FALSE(percentiles({}).has_value());
  const std::vector<double> one = {2};
  auto q = percentiles(one);
  REQUIRE(q);
  CHECK((q->p50 == 2.0 && q->p90 == 2.0 && q->p99 == 2.0 && q->max == 2.0));
}

TEST_CASE("median: middle value, mean of the two middle values for an even count") {
  const std::vector<double> odd = {5, 1, 3};
  const std::vector<double> even = {4, 1, 3, 2};
  const std::vector<double> ties = {2, 2, 9, 2};
  const std::vector<double> one = {42};
  const std::vector<double> two = {1, 2};
  CHECK(median(odd) == 3.0);
  CHECK(median(even) == 2.5);
  CHECK(median(ties) == 2.0);
  CHECK(median(one) == 42.0);
  CHECK(median(two) == 1.5);
  CHECK_FALSE(median({}).has_value());
  const std::vector<double> with_nan = {1, std::nan("")};
  CHECK_FALSE(median(with_nan).has_value());
}

TEST_CASE("spread_pct: (max - min) / median * 100") {
  const std::vector<double> v = {90, 100, 110};
  CHECK(spread_pct(v) == 20.0);
  const std::vector<double> one = {5};
  CHECK(spread_pct(one) == 0.0);
  const std::vector<double> ties = {4, 4, 4};
  CHECK(spread_pct(ties) == 0.0);
  const std::vector<double> zero_median = {-1, 0, 1};
  CHECK_FALSE(spread_pct(zero_median).has_value());
  CHECK_FALSE(spread_pct({}).has_value());
}

TEST_CASE("ratio: unknown, not zero, against nothing") {
  CHECK(ratio(93, 100) == 0.93);
  CHECK(ratio(0, 100) == 0.0);
  CHECK(ratio(3, 2) == 1.5);
  CHECK_FALSE(ratio(1, 0).has_value());
  CHECK_FALSE(ratio(1, -2).has_value());
  CHECK_FALSE(ratio(std::numeric_limits<double>::infinity(), 1).has_value());
  CHECK_FALSE(ratio(1, std::nan("")).has_value());
}

TEST_CASE("metric_direction: from the unit in the key name") {
  CHECK(metric_direction("packets_per_s") == Better::higher);
  CHECK(metric_direction("bytes_per_s") == Better::higher);
  CHECK(metric_direction("handshakes_per_s") == Better::higher);
  CHECK(metric_direction("tx_pps") == Better::higher);
  CHECK(metric_direction("ratio.vs_openssl_raw") == Better::higher);
  CHECK(metric_direction("latency_p99_ms") == Better::lower);
  CHECK(metric_direction("setup_us") == Better::lower);
  CHECK(metric_direction("rekey_ns") == Better::lower);
  CHECK(metric_direction("wall_s") == Better::lower);
  CHECK(metric_direction("user_cpu_pct") == Better::lower);
  CHECK(metric_direction("rss_bytes") == Better::lower);
  CHECK_FALSE(metric_direction("rounds").has_value());
  CHECK_FALSE(metric_direction("spread_pct").has_value());
  CHECK_FALSE(metric_direction("error").has_value());
  CHECK_FALSE(metric_direction("").has_value());
}

TEST_CASE("change_pct and is_regression: a drop of a rate, a rise of a cost, beyond PCT") {
  CHECK(change_pct(200, 150) == -25.0);
  CHECK(change_pct(200, 250) == 25.0);
  CHECK(change_pct(200, 200) == 0.0);
  CHECK_FALSE(change_pct(0, 5).has_value());
  CHECK_FALSE(change_pct(5, std::nan("")).has_value());

  // Rates: higher is better.
  CHECK(is_regression(Better::higher, 100, 89, 10));       // -11 %
  CHECK_FALSE(is_regression(Better::higher, 100, 90, 10)); // exactly -10 %: passes
  CHECK_FALSE(is_regression(Better::higher, 100, 95, 10));
  CHECK_FALSE(is_regression(Better::higher, 100, 500, 10)); // faster is never a regression
  // Costs: lower is better.
  CHECK(is_regression(Better::lower, 100, 111, 10));
  CHECK_FALSE(is_regression(Better::lower, 100, 110, 10));
  CHECK_FALSE(is_regression(Better::lower, 100, 1, 10));
  // Zero tolerance: any worsening regresses, equal values do not.
  CHECK(is_regression(Better::higher, 100, 99.99, 0));
  CHECK_FALSE(is_regression(Better::higher, 100, 100, 0));
  // Nothing to compare against.
  CHECK_FALSE(is_regression(Better::higher, 0, 0, 10));
  CHECK_FALSE(is_regression(Better::lower, 0, 5, 10));
}
