#include "base/fd.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

namespace ikekit {

Fd& Fd::operator=(Fd&& o) noexcept {
  if (this != &o) reset(o.release());
  return *this;
}

void Fd::reset(int fd) noexcept {
  if (fd_ >= 0 && fd_ != fd) ::close(fd_);
  fd_ = fd;
}

Result<FdPair> cloexec_pipe(std::string field) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0)
    return make_error(Errc::io, std::move(field), std::string("pipe: ") + std::strerror(errno));
  return FdPair{Fd(fds[0]), Fd(fds[1])};
}

} // namespace ikekit
