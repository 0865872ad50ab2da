#include "bench/files.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <sys/stat.h>
#include <unistd.h>

namespace ikekit::bench {

namespace {
constexpr size_t kMaxRead = 4 << 20;
}

Result<PrivateDir> PrivateDir::create(const std::string& prefix, const std::string& what) {
  std::string tmpl = "/tmp/" + prefix + "-XXXXXX";
  if (!mkdtemp(tmpl.data()))
    return make_error(Errc::io, what, "cannot create " + tmpl + ": " + std::strerror(errno));
  PrivateDir d;
  d.path_ = tmpl;
  return d;
}

PrivateDir& PrivateDir::operator=(PrivateDir&& o) noexcept {
  if (this != &o) {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
    path_ = std::move(o.path_);
    o.path_.clear();
  }
  return *this;
}

PrivateDir::~PrivateDir() {
  std::error_code ec;
  if (!path_.empty()) std::filesystem::remove_all(path_, ec);
}

Result<void> make_private_dir(const std::string& path, const std::string& what) {
  if (mkdir(path.c_str(), 0700) != 0 && errno != EEXIST)
    return make_error(Errc::io, what, "cannot create " + path + ": " + std::strerror(errno));
  return {};
}

std::string read_text_file(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return {};
  std::string s;
  char buf[8192];
  ssize_t r;
  while ((r = read(fd, buf, sizeof buf)) > 0 && s.size() < kMaxRead)
    s.append(buf, size_t(r));
  close(fd);
  return s;
}

Result<void> write_private_file(const std::string& path, const std::string& text) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0)
    return make_error(Errc::io, path, std::string("cannot create: ") + std::strerror(errno));
  size_t done = 0;
  while (done < text.size()) {
    ssize_t w = write(fd, text.data() + done, text.size() - done);
    if (w <= 0) {
      close(fd);
      return make_error(Errc::io, path, std::string("cannot write: ") + std::strerror(errno));
    }
    done += size_t(w);
  }
  close(fd);
  return {};
}

std::string file_tail(const std::string& path, size_t max_bytes) {
  std::string s = read_text_file(path);
  if (s.size() > max_bytes) s = s.substr(s.size() - max_bytes);
  while (!s.empty() && (s.back() == '\n' || s.back() == ' '))
    s.pop_back();
  return s;
}

std::string executable_dir() {
  char buf[4096];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return ".";
  std::string p(buf, size_t(n));
  auto slash = p.rfind('/');
  return slash == std::string::npos ? "." : p.substr(0, slash);
}

std::string first_line(const std::string& text) {
  size_t s = text.find_first_not_of(" \n\r\t");
  if (s == std::string::npos) return {};
  size_t e = text.find('\n', s);
  std::string line = text.substr(s, e == std::string::npos ? std::string::npos : e - s);
  if (line.size() > 200) line.resize(200);
  return line;
}

Result<std::string> find_tool_beside(const std::string& name, const std::string& field) {
  std::string dir = executable_dir();
  for (const std::string& p : {dir + "/" + name, dir + "/../bin/" + name})
    if (access(p.c_str(), X_OK) == 0) return p;
  return make_error(Errc::environment, field,
                    name + " not found next to ike-bench (" + dir + "/" + name +
                        "): build or install it");
}

} // namespace ikekit::bench
