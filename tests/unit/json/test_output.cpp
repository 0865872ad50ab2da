// The measured-number helpers the benches write with (json/output.hpp): what a reader
// of the JSON sees for a number, a rounded one, and one that was not measured.
#include "json/output.hpp"
#include <catch2/catch.hpp>
#include <cmath>
#include <limits>

using namespace ikekit;

TEST_CASE("json numbers: rounded and whole, null when unknown or not finite", "[json]") {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  CHECK(json::rounded(2.34567, 2).dump() == "2.35");
  CHECK(json::rounded(1234.5, 0).dump() == "1235.0"); // still a double: the schema's type
  CHECK(json::rounded(std::nullopt, 2).is_null());
  CHECK(json::rounded(nan, 2).is_null());
  CHECK(json::whole(1234.5).dump() == "1235"); // an integer, as packets_per_s is written
  CHECK(json::whole(-2.5).dump() == "-3");
  CHECK(json::whole(std::nullopt).is_null());
  CHECK(json::whole(inf).is_null());
}

TEST_CASE("json or_null: the value keeps its type, a missing one is null", "[json]") {
  CHECK(json::or_null(std::optional<double>(0.25)).dump() == "0.25");
  CHECK(json::or_null(std::optional<uint64_t>(7)).dump() == "7");
  CHECK(json::or_null(std::optional<std::string>("tun")).dump() == "\"tun\"");
  CHECK(json::or_null(std::optional<double>()).is_null());
  CHECK(json::or_null(true, 3).dump() == "3");
  CHECK(json::or_null(false, 3).is_null());
  CHECK(json::or_null(true, 1.5).dump() == "1.5");
}
