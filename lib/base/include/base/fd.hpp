// An owned file descriptor: closed when destroyed or replaced, moved but never copied,
// so a class that holds sockets or eventfds gets its move operations and destructor
// from its members instead of writing them out (and a moved-from object closes nothing).
// In base because base's secret files hold one too; io uses it as io::Fd (io/fd.hpp).
#pragma once

#include "base/result.hpp"

#include <string>

namespace ikekit {

class Fd {
public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  Fd& operator=(Fd&& o) noexcept;
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { reset(); }

  int get() const { return fd_; }
  explicit operator bool() const { return fd_ >= 0; }
  // Closes the descriptor held (if any) and holds `fd` instead.
  void reset(int fd = -1) noexcept;
  // Gives the descriptor up without closing it (to an owner that closes it itself).
  int release() noexcept {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }

private:
  int fd_ = -1;
};

// Both ends of a pipe, each closed with its Fd (also on every early return).
struct FdPair {
  Fd read, write;
};

// pipe2(2) with O_CLOEXEC: neither end leaks into a program this process starts (a
// child is handed its end with dup2). Errc::io naming `field` when no pipe can be made.
Result<FdPair> cloexec_pipe(std::string field);

} // namespace ikekit
