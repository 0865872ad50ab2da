// ike-up's event handling (io::IkeUpEvents): every line names its connection, Child SA
// keys go to the key log only, and an initiated connection that fails is remembered.
#include "io/ike_up_events.hpp"

#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>
#include <unistd.h>

using namespace ikekit;

namespace {
std::vector<json::Json> lines_of(const std::string& text) {
  std::vector<json::Json> v;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    v.push_back(json::Json::parse(line));
  return v;
}
} // namespace

TEST_CASE("IkeUpEvents: JSON lines with conn, keys only in the key log", "[io][ike_up]") {
  std::string path = "/tmp/ikekit-test-keylog-" + std::to_string(getpid());
  ::unlink(path.c_str());
  auto w = SecretFileWriter::open_append(path, "--keylog");
  REQUIRE(w);
  std::ostringstream text;
  json::JsonOutput out(text, false);
  io::IkeUpEvents events(out, std::move(*w), {"home"}, 0, "ike-up");

  ike::ChildSaUp up;
  up.sa = 1;
  up.peer = "home";
  up.name = "net";
  up.spi_in = 0xc0000001;
  up.spi_out = 0xc0000002;
  up.encr = "aes128gcm16";
  up.encr_in = SecretBytes(Bytes(20, 0xab));
  up.encr_out = SecretBytes(Bytes(20, 0xcd));
  events.on_event(up);
  events.on_event(
      ike::ChildSaDown{1, "home", "net", 0xc0000001, 0xc0000002, ike::DownReason::deleted_by_peer});

  auto lines = lines_of(text.str());
  REQUIRE(lines.size() == 2);
  CHECK(lines[0]["type"] == "child_sa_up");
  CHECK(lines[0]["conn"] == "home");
  CHECK(lines[1]["conn"] == "home");
  CHECK(lines[1]["reason"] == "deleted by peer");
  CHECK(text.str().find("abababab") == std::string::npos);

  std::ifstream log(path);
  std::stringstream logged;
  logged << log.rdbuf();
  auto keylines = lines_of(logged.str());
  REQUIRE(keylines.size() == 2); // one per direction
  CHECK(keylines[0]["spi"] == "c0000001");
  CHECK(logged.str().find("abababab") != std::string::npos);
  CHECK(logged.str().find("cdcdcdcd") != std::string::npos);
  ::unlink(path.c_str());
  CHECK_FALSE(events.initiator_failed());
}

TEST_CASE("IkeUpEvents: an initiated connection failing before it is up is remembered",
          "[io][ike_up]") {
  std::ostringstream text;
  json::JsonOutput out(text, false);
  io::IkeUpEvents events(out, std::nullopt, {"home", "office"}, 0, "ike-up");
  ike::IkeSaUp up;
  up.sa = 1;
  up.peer = "office";
  events.on_event(up);
  ike::Failure late;
  late.sa = 1;
  late.peer = "office"; // already up: not an initiator failure
  events.on_event(late);
  CHECK_FALSE(events.initiator_failed());
  ike::Failure f;
  f.sa = 2;
  f.peer = "home";
  f.step = ike::FailureStep::auth;
  events.on_event(f);
  CHECK(events.initiator_failed());
}
