// Where the committed test data (tests/data) is, found at run time: through the `data`
// link the build puts beside the binary (tests/CMakeLists.txt for the tests,
// fuzz/CMakeLists.txt for the fuzz targets). No compile command then holds the
// checkout's path, so an object is the same (a ccache hit) in every worktree. No
// Catch2 here: the fuzz targets use it too.
#pragma once

#include <filesystem>
#include <string>

namespace ikekit::test {

inline const std::string& data_dir() {
  static const std::string dir = [] {
    std::error_code ec;
    auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
    return (exe.parent_path() / "data").string();
  }();
  return dir;
}

} // namespace ikekit::test
