#include "cli/app.hpp"

#include <catch2/catch.hpp>

using namespace ikekit;
using namespace std::chrono;

TEST_CASE("parse_duration accepts the units users write") {
  CHECK(*cli::parse_duration("30s", "--dpd-delay") == seconds(30));
  CHECK(*cli::parse_duration("2m", "--x") == minutes(2));
  CHECK(*cli::parse_duration("1h30m", "--x") == minutes(90));
  CHECK(*cli::parse_duration("500ms", "--x") == milliseconds(500));
  CHECK(*cli::parse_duration("45", "--x") == seconds(45));
}

TEST_CASE("parse_duration names the field and echoes the value") {
  auto r = cli::parse_duration("5x", "--dpd-delay");
  REQUIRE_FALSE(r);
  CHECK(r.error().field == "--dpd-delay");
  CHECK(r.error().code == Errc::usage);
  CHECK(r.error().message.find("\"5x\"") != std::string::npos);
  CHECK_FALSE(cli::parse_duration("", "--x"));
  CHECK_FALSE(cli::parse_duration("s", "--x"));
}
