// Files that hold secrets (PSKs, private keys, key files, key logs, Wireshark key
// tables): the one place that opens them, so every tool refuses the same tricks.
//
// Reading refuses a symbolic link as the last path component (O_NOFOLLOW: a link in
// a shared directory could point us at another user's file), anything but a regular
// file (a FIFO would block, a device would never end), a file owned by someone other
// than us or root, a file that group or others may access at all (mode & 077, as
// OpenSSH does for private keys), and a file larger than the caller's cap. Writing
// creates with O_CREAT|O_EXCL|O_NOFOLLOW and mode 0600 from the start (no window where
// the secret sits at default permissions), appends only to a regular file we own with
// no group/other access, or replaces a file atomically (a new 0600 file renamed over
// the old one, which replaces a symlink instead of following it).
//
// Errors name the path, and the mode or owner that was refused, never the content.
// This is file access, not an event source: base holds it because crypto (private
// keys), decode (key files) and cli (PSKs) all read secrets.
#pragma once

#include "base/fd.hpp"
#include "base/result.hpp"
#include "base/secret_bytes.hpp"

#include <cstddef>
#include <string>
#include <string_view>

namespace ikekit {

// Who may have read access to a secret file being read.
enum class SecretAccess : uint8_t {
  owner_only, // refuse group/other permissions and foreign owners (the default)
  // Also accept files others may read or own: ike-decode's --keys reads the keys of
  // finished sessions, often shipped beside a capture (Wireshark reads them the same way).
  shared_ok,
};

// A file mode as ls and chmod write it: "0644", "1777".
std::string octal_mode(unsigned mode);

// Reads the whole file. `field` names the flag or config field in errors
// (Errc::usage for what the user can fix, Errc::io for read errors).
Result<SecretBytes> read_secret_file(const std::string& path, std::string_view field,
                                     size_t max_bytes,
                                     SecretAccess access = SecretAccess::owner_only);

// An open secret file for writing; closes its descriptor on destruction.
class SecretFileWriter {
public:
  // A new file: O_CREAT|O_EXCL|O_NOFOLLOW, mode 0600. An existing path is refused.
  static Result<SecretFileWriter> create_new(const std::string& path, std::string_view field);
  // Appends to `path`, creating it 0600 when missing. An existing file must be a
  // regular file (not a symlink) owned by us with no group/other permissions.
  static Result<SecretFileWriter> open_append(const std::string& path, std::string_view field);

  // Writes all of `data` (retrying short writes and EINTR).
  Result<void> write(std::string_view data);
  // fsync: the data is on disk when this returns.
  Result<void> sync();
  const std::string& path() const { return path_; }

private:
  SecretFileWriter(Fd fd, std::string path, std::string field)
      : fd_(std::move(fd)), path_(std::move(path)), field_(std::move(field)) {}
  Fd fd_;
  std::string path_;
  std::string field_;
};

// Replaces `path` with `data` atomically: a new 0600 file beside it (O_EXCL|O_NOFOLLOW),
// written, fsync'd, renamed over `path`, and the directory fsync'd, so after a crash
// the path holds either the old or the new content, never a mix.
Result<void> replace_secret_file(const std::string& path, std::string_view data,
                                 std::string_view field);

} // namespace ikekit
