// Secret files (lib/base/secret_file): what is refused on reading and writing, with
// real files, links, FIFOs and modes in a temporary directory. The foreign-owner cases
// need root (to chown); without it they are skipped with a message (CI runs as root).
#include "base/secret_file.hpp"
#include "require_all.hpp"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fcntl.h>
#include <fstream>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

using namespace ikekit;

namespace {

struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/ikekit-secret-XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~TempDir() { std::system(("rm -rf '" + path + "'").c_str()); }
  std::string file(const std::string& name, const std::string& text, mode_t mode) const {
    std::string p = path + "/" + name;
    std::ofstream(p) << text;
    ::chmod(p.c_str(), mode);
    return p;
  }
};

constexpr const char* kSecret = "correct horse battery staple";

std::string text_of(const SecretBytes& b) {
  return std::string(reinterpret_cast<const char*>(b.reveal().data()), b.size());
}

std::string slurp(const std::string& p) {
  std::ifstream in(p);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

mode_t mode_of(const std::string& p) {
  struct stat st {};
  REQUIRE(::lstat(p.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

// The refusal: Errc::usage naming the field and the path, never the secret.
void check_refused(const Result<SecretBytes>& r, const std::string& path, const std::string& why) {
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::usage);
  CHECK(r.error().field == "--psk-file");
  CHECK(r.error().message.find("\"" + path + "\"") != std::string::npos);
  CHECK(r.error().message.find(why) != std::string::npos);
  CHECK(r.error().message.find(kSecret) == std::string::npos);
}

} // namespace

TEST_CASE("read_secret_file reads a 0600 or 0400 file of ours", "[secret_file]") {
  TempDir d;
  for (mode_t m : {mode_t(0600), mode_t(0400)}) {
    auto p = d.file("psk" + std::to_string(m), kSecret, m);
    auto r = read_secret_file(p, "--psk-file", 1024);
    REQUIRE(r);
    CHECK(text_of(*r) == kSecret);
  }
  auto empty = read_secret_file(d.file("empty", "", 0600), "--psk-file", 1024);
  REQUIRE(empty);
  CHECK(empty->empty());
}

TEST_CASE("read_secret_file refuses group or world access and names the mode", "[secret_file]") {
  TempDir d;
  for (mode_t m : {mode_t(0644), mode_t(0640), mode_t(0604), mode_t(0620), mode_t(0601)}) {
    auto p = d.file("psk", kSecret, m);
    char want[32];
    std::snprintf(want, sizeof want, "mode %04o", unsigned(m));
    check_refused(read_secret_file(p, "--psk-file", 1024), p, want);
  }
  // shared_ok (ike-decode --keys) reads it anyway.
  auto p = d.file("keys", kSecret, 0644);
  auto r = read_secret_file(p, "--psk-file", 1024, SecretAccess::shared_ok);
  REQUIRE(r);
  CHECK(text_of(*r) == kSecret);
}

TEST_CASE("read_secret_file refuses links, FIFOs, directories and large files", "[secret_file]") {
  TempDir d;
  auto real = d.file("real", kSecret, 0600);
  auto link = d.path + "/link";
  REQUIRE(::symlink(real.c_str(), link.c_str()) == 0);
  check_refused(read_secret_file(link, "--psk-file", 1024), link, "symbolic link");
  check_refused(read_secret_file(link, "--psk-file", 1024, SecretAccess::shared_ok), link,
                "symbolic link");

  auto fifo = d.path + "/fifo";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  check_refused(read_secret_file(fifo, "--psk-file", 1024), fifo, "not a regular file"); // no hang
  check_refused(read_secret_file(d.path, "--psk-file", 1024), d.path, "not a regular file");

  check_refused(read_secret_file(real, "--psk-file", 10), real, "larger than the 10 bytes");
  check_refused(read_secret_file(d.path + "/missing", "--psk-file", 10), d.path + "/missing",
                "cannot be read");
}

TEST_CASE("secret files of another user are refused", "[secret_file]") {
  if (::geteuid() != 0) SKIP_OR_FAIL("chown needs root");
  TempDir d;
  auto p = d.file("psk", kSecret, 0600);
  REQUIRE(::chown(p.c_str(), 65534, 65534) == 0);
  check_refused(read_secret_file(p, "--psk-file", 1024), p, "owned by uid 65534");
  // Appending our keys to another user's file would hand them the keys.
  auto w = SecretFileWriter::open_append(p, "--psk-file");
  REQUIRE_FALSE(w);
  CHECK(w.error().message.find("owned by uid 65534") != std::string::npos);
  // root's own files are fine to read (a daemon's secrets), whoever we are.
  REQUIRE(::chown(p.c_str(), 0, 0) == 0);
  CHECK(read_secret_file(p, "--psk-file", 1024));
}

TEST_CASE("create_new makes a 0600 file whatever the umask, never over another", "[secret_file]") {
  TempDir d;
  mode_t old = ::umask(0);
  auto w = SecretFileWriter::create_new(d.path + "/new", "--emit");
  ::umask(old);
  REQUIRE(w);
  REQUIRE(w->write("line\n"));
  REQUIRE(w->sync());
  CHECK(mode_of(d.path + "/new") == 0600);
  CHECK(slurp(d.path + "/new") == "line\n");

  auto again = SecretFileWriter::create_new(d.path + "/new", "--emit");
  REQUIRE_FALSE(again);
  CHECK(again.error().message.find("exists") != std::string::npos);
  // A dangling link planted where the file will be: not followed, nothing created there.
  auto target = d.path + "/planted";
  REQUIRE(::symlink(target.c_str(), (d.path + "/dangling").c_str()) == 0);
  CHECK_FALSE(SecretFileWriter::create_new(d.path + "/dangling", "--emit"));
  CHECK(::access(target.c_str(), F_OK) != 0);
}

TEST_CASE("open_append creates 0600 or appends only to a private regular file of ours",
          "[secret_file]") {
  TempDir d;
  auto p = d.path + "/keylog";
  {
    mode_t old = ::umask(0);
    auto w = SecretFileWriter::open_append(p, "--keylog");
    ::umask(old);
    REQUIRE(w);
    REQUIRE(w->write("one\n"));
  }
  CHECK(mode_of(p) == 0600);
  {
    auto w = SecretFileWriter::open_append(p, "--keylog");
    REQUIRE(w);
    REQUIRE(w->write("two\n"));
  }
  CHECK(slurp(p) == "one\ntwo\n");

  ::chmod(p.c_str(), 0644);
  auto open = SecretFileWriter::open_append(p, "--keylog");
  REQUIRE_FALSE(open);
  CHECK(open.error().field == "--keylog");
  CHECK(open.error().message.find("mode 0644") != std::string::npos);

  auto other = d.file("other", "", 0600);
  auto link = d.path + "/link";
  REQUIRE(::symlink(other.c_str(), link.c_str()) == 0);
  auto via_link = SecretFileWriter::open_append(link, "--keylog");
  REQUIRE_FALSE(via_link);
  CHECK(via_link.error().message.find("symbolic link") != std::string::npos);
  CHECK(slurp(other).empty());
}

TEST_CASE("replace_secret_file swaps the content in atomically at 0600 and replaces a link",
          "[secret_file]") {
  TempDir d;
  auto p = d.file("table", "old", 0644);
  REQUIRE(replace_secret_file(p, "new keys", "--emit-wireshark"));
  CHECK(slurp(p) == "new keys");
  CHECK(mode_of(p) == 0600);

  // A link where the table goes is replaced by the file; its target is not written.
  auto victim = d.file("victim", "untouched", 0644);
  auto link = d.path + "/linked";
  REQUIRE(::symlink(victim.c_str(), link.c_str()) == 0);
  REQUIRE(replace_secret_file(link, "keys", "--emit-wireshark"));
  CHECK(slurp(victim) == "untouched");
  struct stat st {};
  REQUIRE(::lstat(link.c_str(), &st) == 0);
  CHECK(S_ISREG(st.st_mode)); // a regular file now, not the link
  CHECK(mode_of(link) == 0600);
  CHECK(slurp(link) == "keys");

  auto missing = replace_secret_file(d.path + "/no/such/dir/f", "x", "--emit-wireshark");
  REQUIRE_FALSE(missing);
  CHECK(missing.error().message.find("no/such/dir") != std::string::npos);
}
