// Files of ike-bench's namespace benches: the private directory of a run (keys, configs,
// logs), small text files, secrets written 0600.
#pragma once

#include "base/result.hpp"

#include <string>

namespace ikekit::bench {

// A private (0700) directory /tmp/<prefix>-XXXXXX, removed with everything in it when
// the object goes away.
class PrivateDir {
public:
  // Errc::io naming `what` when it cannot be created.
  static Result<PrivateDir> create(const std::string& prefix, const std::string& what);
  PrivateDir() = default;
  PrivateDir(PrivateDir&& o) noexcept : path_(std::move(o.path_)) { o.path_.clear(); }
  PrivateDir& operator=(PrivateDir&& o) noexcept;
  PrivateDir(const PrivateDir&) = delete;
  ~PrivateDir();
  const std::string& path() const { return path_; }

private:
  std::string path_;
};

// Creates the directory `path` with mode 0700 (Errc::io naming `what` on failure).
Result<void> make_private_dir(const std::string& path, const std::string& what);

// Reads a whole (small, at most 4 MiB) file; empty when it cannot be read.
std::string read_text_file(const std::string& path);
// Writes `text` to `path`, created with mode 0600 (secrets: keys, PSKs) and truncated.
Result<void> write_private_file(const std::string& path, const std::string& text);
// The last `max_bytes` of a text file (a log), without trailing blanks; "" when unreadable.
std::string file_tail(const std::string& path, size_t max_bytes = 2000);
// The directory of the running executable (from /proc/self/exe): where the tools it
// starts (ike-up, esp-tunnel) are built or installed side by side.
std::string executable_dir();
// The ikekit tool `name` (ike-up, ikectl) next to the running executable, or in the
// sibling bin/ of an install (test binaries live beside bin/); Errc::environment, field
// `field`, when it is not there.
Result<std::string> find_tool_beside(const std::string& name, const std::string& field);

// The first line of `text`, without the newline, at most 200 characters.
std::string first_line(const std::string& text);

} // namespace ikekit::bench
