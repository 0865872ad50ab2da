// ike-up --psk-file (read_psk_file): the file's checks (base/secret_file) and the PSK's
// length; a refused PSK is never echoed.
#include "cli/ike_up_options.hpp"
#include "secret_text.hpp"
#include "test_files.hpp"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

using namespace ikekit;
using namespace ikekit::test;

TEST_CASE("psk file: trailing line ends dropped, the rest is the key") {
  TempDir d("psk");
  auto r = cli::read_psk_file(d.file("psk", "an-example-psk-0123456789\r\n\n", 0600), "--psk-file");
  REQUIRE(r);
  CHECK(secret_text(*r) == "an-example-psk-0123456789");
}

TEST_CASE("psk file: shorter than 16 bytes is refused without echoing it") {
  TempDir d("psk");
  auto p = d.file("psk", "short-psk-15byt\n", 0600);
  auto r = cli::read_psk_file(p, "connections[0].psk_file");
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::usage);
  CHECK(r.error().field == "connections[0].psk_file");
  CHECK(r.error().message.find("15 bytes") != std::string::npos);
  CHECK(r.error().message.find(p) != std::string::npos);
  CHECK(r.error().message.find("short-psk") == std::string::npos);
  CHECK_FALSE(cli::read_psk_file(d.file("psk", "\n", 0600), "--psk-file"));
  CHECK(cli::read_psk_file(d.file("psk", "exactly-16-bytes", 0600), "--psk-file"));
}

TEST_CASE("psk file: readable by others, or too large, is refused") {
  TempDir d("psk");
  auto open = cli::read_psk_file(d.file("psk", "an-example-psk-0123456789", 0644), "--psk-file");
  REQUIRE_FALSE(open);
  CHECK(open.error().message.find("mode 0644") != std::string::npos);
  CHECK(open.error().message.find("an-example") == std::string::npos);
  auto big = cli::read_psk_file(d.file("psk", std::string(cli::kMaxPskBytes + 1, 'k'), 0600),
                                "--psk-file");
  REQUIRE_FALSE(big);
  CHECK(big.error().message.find("larger than") != std::string::npos);
}
