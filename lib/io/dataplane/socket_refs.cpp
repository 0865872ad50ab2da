#include "socket_refs.hpp"

#include "io/netlink_socket.hpp" // errno_text

#include <algorithm>
#include <cerrno>
#include <fcntl.h>
#include <string>
#include <sys/stat.h>

namespace ikekit::io::dataplane {

Result<int> SocketRefs::acquire(int fd, size_t pairs) {
  struct stat st {};
  if (::fstat(fd, &st) != 0)
    return make_error(Errc::io, "socket",
                      "descriptor " + std::to_string(fd) + ": " + errno_text(errno));
  if (!S_ISSOCK(st.st_mode))
    return make_error(Errc::io, "socket", "descriptor " + std::to_string(fd) + " is no socket");
  for (Ref& r : refs_)
    if (r.dev == st.st_dev && r.ino == st.st_ino) {
      r.pairs += pairs;
      return r.fd.get();
    }
  int own = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (own < 0)
    return make_error(Errc::io, "socket",
                      "dup of descriptor " + std::to_string(fd) + ": " + errno_text(errno));
  set_socket_buffers(own, EspSocketOptions{}.buffer_bytes); // ESP bursts, not IKE
  refs_.push_back(Ref{Fd(own), st.st_dev, st.st_ino, pairs});
  return own;
}

void SocketRefs::release(int fd) {
  auto it =
      std::find_if(refs_.begin(), refs_.end(), [fd](const Ref& r) { return r.fd.get() == fd; });
  if (it == refs_.end()) return;
  if (--it->pairs == 0) refs_.erase(it);
}

} // namespace ikekit::io::dataplane
