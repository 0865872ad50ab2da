// ike-decode --emit-wireshark writes key tables: 0600 from the start whatever the umask,
// a new directory 0700, and a symlink planted at a table's name is replaced, not
// followed (base/secret_file's replace_secret_file).
#include "decode/key_file.hpp"
#include "decode/wireshark_export.hpp"
#include "test_files.hpp"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <sys/stat.h>
#include <unistd.h>

using namespace ikekit;
using namespace ikekit::decode;

namespace {

mode_t lmode(const std::string& p) {
  struct stat st {};
  REQUIRE(::lstat(p.c_str(), &st) == 0);
  return st.st_mode;
}

} // namespace

TEST_CASE("emit-wireshark: tables 0600 in a 0700 directory; planted links are replaced",
          "[decode][wireshark]") {
  ikekit::test::TempDir d("ws");
  KeyStore keys;
  REQUIRE(
      parse_key_text(R"({"type":"child_sa","spi":"c0ffee01","dst":"10.0.0.2","encr":"aes128gcm16",)"
                     R"("encr_key":"000102030405060708090a0b0c0d0e0f10111213"})",
                     "keys.jsonl", keys));
  IkeTracker tracker(keys);
  const std::string out = d.path + "/ws";
  REQUIRE(::mkdir(out.c_str(), 0700) == 0);
  std::ofstream(d.path + "/victim") << "untouched";
  REQUIRE(::symlink((d.path + "/victim").c_str(), (out + "/esp_sa").c_str()) == 0);

  mode_t old = ::umask(0);
  auto r = write_wireshark_tables(out, keys, tracker);
  auto fresh = write_wireshark_tables(d.path + "/new/ws", keys, tracker);
  ::umask(old);
  REQUIRE(r);
  CHECK(r->esp_sas == 1);
  for (const char* f : {"ikev2_decryption_table", "esp_sa", "preferences"}) {
    INFO(f);
    mode_t m = lmode(out + "/" + f);
    CHECK(S_ISREG(m));
    CHECK((m & 0777) == 0600);
  }
  std::ifstream victim(d.path + "/victim");
  std::string text((std::istreambuf_iterator<char>(victim)), std::istreambuf_iterator<char>());
  CHECK(text == "untouched");

  REQUIRE(fresh);
  CHECK((lmode(d.path + "/new/ws") & 0777) == 0700);
  CHECK((lmode(d.path + "/new/ws/esp_sa") & 0777) == 0600);
}
