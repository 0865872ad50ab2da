// base/text.hpp: trim_trailing_space readies another program's error text for the end of
// an Error message.
#include "base/text.hpp"

#include <catch2/catch.hpp>

using namespace ikekit;

TEST_CASE("trim_trailing_space: drops what ends another program's error text", "[base]") {
  CHECK(trim_trailing_space("nft: syntax error \n\n") == "nft: syntax error");
  CHECK(trim_trailing_space("resolvconf: failed\t\r\n") == "resolvconf: failed");
  CHECK(trim_trailing_space("  keeps leading space") == "  keeps leading space");
  CHECK(trim_trailing_space("inner \n newline kept") == "inner \n newline kept");
  CHECK(trim_trailing_space(" \n ").empty());
  CHECK(trim_trailing_space("").empty());
}
