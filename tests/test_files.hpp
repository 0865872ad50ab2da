// Files for tests: a scratch directory removed when the test ends, a file read whole,
// and where the committed test data lives (data_dir(), data_dir.hpp).
#pragma once

#include "data_dir.hpp"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdlib.h>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

namespace ikekit::test {

// A fresh /tmp/ikekit-<tag>-XXXXXX, removed with its files by the destructor.
struct TempDir {
  std::string path;
  explicit TempDir(const std::string& tag) {
    std::string tmpl = "/tmp/ikekit-" + tag + "-XXXXXX";
    const char* made = ::mkdtemp(tmpl.data());
    REQUIRE(made != nullptr);
    path = made;
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() { std::system(("rm -rf '" + path + "'").c_str()); }
  // Writes `text` to <path>/<name> (replacing what was there) with `mode`; its path.
  std::string file(const std::string& name, const std::string& text, mode_t mode) const {
    std::string p = path + "/" + name;
    ::unlink(p.c_str());
    std::ofstream(p) << text;
    ::chmod(p.c_str(), mode);
    return p;
  }
};

// The whole file at `path` (the test fails if it cannot be opened).
inline std::string read_text(const std::string& path) {
  std::ifstream in(path);
  REQUIRE(in);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

} // namespace ikekit::test
