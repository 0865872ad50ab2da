// An owned file descriptor: closed when destroyed or replaced, moved but never copied,
// so a class that holds sockets or eventfds gets its move operations and destructor
// from its members instead of writing them out (and a moved-from object closes nothing).
// In base because base's secret files hold one too; io uses it as io::Fd (io/fd.hpp).
#pragma once

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

} // namespace ikekit
