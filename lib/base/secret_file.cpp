#include "base/secret_file.hpp"

#include "base/fd.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <optional>
#include <sys/stat.h>
#include <unistd.h>
#include <utility>

namespace ikekit {

namespace {

std::string quoted(const std::string& path) { return "\"" + path + "\""; }

Error refuse(std::string_view field, const std::string& path, std::string why) {
  return make_error(Errc::usage, std::string(field), quoted(path) + ": " + std::move(why));
}

// What open(2) said, in words a user can act on.
Error open_error(std::string_view field, const std::string& path, int err, const char* verb) {
  if (err == ELOOP)
    return refuse(field, path,
                  "is a symbolic link; secret files are opened without following links "
                  "(give the path of the file itself)");
  if (err == EEXIST)
    return refuse(field, path, "exists; a new secret file is never written over another file");
  return refuse(field, path, std::string("cannot be ") + verb + ": " + std::strerror(err));
}

// The checks shared by reading and appending: a regular file, an owner we trust, no
// group/other permissions. root_may_own: besides us, root may own it (reading only).
std::optional<Error> check_private(std::string_view field, const std::string& path,
                                   const struct stat& st, bool root_may_own) {
  if (!S_ISREG(st.st_mode)) return refuse(field, path, "is not a regular file");
  uid_t me = ::geteuid();
  if (st.st_uid != me && !(root_may_own && st.st_uid == 0))
    return refuse(field, path,
                  "is owned by uid " + std::to_string(st.st_uid) + ", not by this user (uid " +
                      std::to_string(me) + ")" + (root_may_own ? " or root" : ""));
  if (st.st_mode & 077)
    return refuse(field, path,
                  "has mode " + octal_mode(st.st_mode) +
                      ", which lets group or others at a secret; expected 0600 or 0400 "
                      "(chmod 600 " +
                      path + ")");
  return std::nullopt;
}

Result<void> write_all(int fd, std::string_view data, std::string_view field,
                       const std::string& path) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0)
      return make_error(Errc::io, std::string(field),
                        quoted(path) + ": write failed: " + std::strerror(n < 0 ? errno : EIO));
    data.remove_prefix(size_t(n));
  }
  return {};
}

std::string parent_dir(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

} // namespace

std::string octal_mode(unsigned mode) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", mode & 07777);
  return buf;
}

Result<SecretBytes> read_secret_file(const std::string& path, std::string_view field,
                                     size_t max_bytes, SecretAccess access) {
  // O_NONBLOCK: opening a FIFO must not block; it is refused below as not regular.
  Fd owned(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  if (!owned) return open_error(field, path, errno, "read");
  const int fd = owned.get();
  struct stat st {};
  if (::fstat(fd, &st) != 0)
    return make_error(Errc::io, std::string(field), quoted(path) + ": " + std::strerror(errno));
  if (access == SecretAccess::owner_only) {
    if (auto e = check_private(field, path, st, true)) return *e;
  } else if (!S_ISREG(st.st_mode)) {
    return refuse(field, path, "is not a regular file");
  }
  auto too_big = [&] {
    return refuse(field, path,
                  "is larger than the " + std::to_string(max_bytes) +
                      " bytes a secret file may have");
  };
  if (uint64_t(st.st_size) > max_bytes) return too_big();
  // One byte more than allowed, to notice a file that grew after fstat.
  SecretBytes buf(size_t(st.st_size) + 1);
  size_t got = 0;
  for (;;) {
    MutBytes room = buf.reveal_mut().subspan(got);
    if (room.empty()) {
      if (got > max_bytes) return too_big();
      SecretBytes bigger(std::min(buf.size() * 2, max_bytes + 1));
      std::memcpy(bigger.reveal_mut().data(), buf.reveal().data(), got);
      buf = std::move(bigger);
      continue;
    }
    ssize_t n = ::read(fd, room.data(), room.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0)
      return make_error(Errc::io, std::string(field),
                        quoted(path) + ": read failed: " + std::strerror(errno));
    if (n == 0) break;
    got += size_t(n);
    if (got > max_bytes) return too_big();
  }
  return buf.slice(0, got);
}

// ---------------------------------------------------------------- writing

Result<SecretFileWriter> SecretFileWriter::create_new(const std::string& path,
                                                      std::string_view field) {
  Fd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!fd) return open_error(field, path, errno, "created");
  return SecretFileWriter(std::move(fd), path, std::string(field));
}

Result<SecretFileWriter> SecretFileWriter::open_append(const std::string& path,
                                                       std::string_view field) {
  Fd fd(::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC,
               0600));
  if (!fd) return open_error(field, path, errno, "written");
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0)
    return make_error(Errc::io, std::string(field), quoted(path) + ": " + std::strerror(errno));
  // Appending adds our secrets to what is there: the file must be ours alone.
  if (auto e = check_private(field, path, st, false)) return *e;
  ::fcntl(fd.get(), F_SETFL, O_WRONLY | O_APPEND); // blocking writes from here on
  return SecretFileWriter(std::move(fd), path, std::string(field));
}

Result<void> SecretFileWriter::write(std::string_view data) {
  return write_all(fd_.get(), data, field_, path_);
}

Result<void> SecretFileWriter::sync() {
  if (::fsync(fd_.get()) != 0)
    return make_error(Errc::io, field_, quoted(path_) + ": fsync failed: " + std::strerror(errno));
  return {};
}

Result<void> replace_secret_file(const std::string& path, std::string_view data,
                                 std::string_view field) {
  std::string tmp = path + ".XXXXXX";
  // mkostemp: O_CREAT|O_EXCL, mode 0600, a name nobody could have prepared.
  Fd owned(::mkostemp(tmp.data(), O_CLOEXEC));
  if (!owned) return open_error(field, tmp, errno, "created");
  const int fd = owned.get();
  auto fail = [&](Error e) {
    ::unlink(tmp.c_str());
    return e;
  };
  if (auto w = write_all(fd, data, field, tmp); !w) return fail(w.error());
  if (::fsync(fd) != 0)
    return fail(make_error(Errc::io, std::string(field),
                           quoted(tmp) + ": fsync failed: " + std::strerror(errno)));
  // rename replaces whatever `path` is (a symlink included) without following it.
  if (::rename(tmp.c_str(), path.c_str()) != 0)
    return fail(make_error(Errc::io, std::string(field),
                           quoted(path) + ": cannot be replaced: " + std::strerror(errno)));
  // The rename itself is durable only once the directory is.
  if (Fd dir(::open(parent_dir(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)); dir)
    (void)::fsync(dir.get());
  return {};
}

} // namespace ikekit
