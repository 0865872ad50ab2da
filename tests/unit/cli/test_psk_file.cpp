// ike-up --psk-file (read_psk_file): the file's checks (base/secret_file) and the PSK's
// length; a refused PSK is never echoed.
#include "cli/ike_up_options.hpp"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

using namespace ikekit;

namespace {

struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/ikekit-psk-XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~TempDir() { std::system(("rm -rf '" + path + "'").c_str()); }
  std::string file(const std::string& text, mode_t mode) const {
    std::string p = path + "/psk";
    ::unlink(p.c_str());
    std::ofstream(p) << text;
    ::chmod(p.c_str(), mode);
    return p;
  }
};

std::string text_of(const SecretBytes& b) {
  return std::string(reinterpret_cast<const char*>(b.reveal().data()), b.size());
}

} // namespace

TEST_CASE("psk file: trailing line ends dropped, the rest is the key") {
  TempDir d;
  auto r = cli::read_psk_file(d.file("an-example-psk-0123456789\r\n\n", 0600), "--psk-file");
  REQUIRE(r);
  CHECK(text_of(*r) == "an-example-psk-0123456789");
}

TEST_CASE("psk file: shorter than 16 bytes is refused without echoing it") {
  TempDir d;
  auto p = d.file("short-psk-15byt\n", 0600);
  auto r = cli::read_psk_file(p, "connections[0].psk_file");
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::usage);
  CHECK(r.error().field == "connections[0].psk_file");
  CHECK(r.error().message.find("15 bytes") != std::string::npos);
  CHECK(r.error().message.find(p) != std::string::npos);
  CHECK(r.error().message.find("short-psk") == std::string::npos);
  CHECK_FALSE(cli::read_psk_file(d.file("\n", 0600), "--psk-file"));
  CHECK(cli::read_psk_file(d.file("exactly-16-bytes", 0600), "--psk-file"));
}

TEST_CASE("psk file: readable by others, or too large, is refused") {
  TempDir d;
  auto open = cli::read_psk_file(d.file("an-example-psk-0123456789", 0644), "--psk-file");
  REQUIRE_FALSE(open);
  CHECK(open.error().message.find("mode 0644") != std::string::npos);
  CHECK(open.error().message.find("an-example") == std::string::npos);
  auto big =
      cli::read_psk_file(d.file(std::string(cli::kMaxPskBytes + 1, 'k'), 0600), "--psk-file");
  REQUIRE_FALSE(big);
  CHECK(big.error().message.find("larger than") != std::string::npos);
}
