#include "io/route_source.hpp"

#include "io/endpoint.hpp"
#include "io/netlink_socket.hpp" // errno_text

#include <cerrno>
#include <sys/socket.h>
#include <unistd.h>

namespace ikekit::io {

Result<IpAddress> route_source(const IpAddress& remote) {
  int fd = ::socket(remote.is_v4() ? AF_INET : AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return make_error(Errc::io, "local", std::string("socket: ") + errno_text(errno));
  sockaddr_storage ss{};
  socklen_t len = to_sockaddr(Endpoint{remote, 500}, ss);
  socklen_t got = sizeof(ss);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&ss), len) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &got) != 0) {
    int err = errno;
    ::close(fd);
    return make_error(Errc::environment, "local",
                      "no route to " + remote.to_string() + " (" + errno_text(err) +
                          "): give the address to send from");
  }
  ::close(fd);
  auto local = from_sockaddr(ss);
  if (!local) return make_error(Errc::io, "local", "getsockname: not an IP address");
  return local->addr;
}

} // namespace ikekit::io
