#include "io/outer_device.hpp"

#include "io/netlink_socket.hpp" // errno_text

#include <cerrno>
#include <cstring>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <sys/socket.h>

namespace ikekit::io {

namespace {

bool same_address(const sockaddr* sa, const IpAddress& a) {
  if (!sa) return false;
  if (sa->sa_family == AF_INET && a.is_v4()) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(sa);
    return std::memcmp(&in->sin_addr, a.bytes().data(), 4) == 0;
  }
  if (sa->sa_family == AF_INET6 && !a.is_v4()) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(sa);
    return std::memcmp(&in6->sin6_addr, a.bytes().data(), 16) == 0;
  }
  return false;
}

} // namespace

Result<std::string> device_holding(const IpAddress& local) {
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0)
    return make_error(Errc::io, "local", std::string("getifaddrs: ") + errno_text(errno));
  std::string name;
  for (ifaddrs* i = list; i; i = i->ifa_next)
    if (same_address(i->ifa_addr, local)) {
      name = i->ifa_name;
      break;
    }
  ::freeifaddrs(list);
  if (name.empty())
    return make_error(Errc::not_found, "local", "no interface holds " + local.to_string());
  return name;
}

Result<void> bind_to_device(int fd, const std::string& device) {
  if (::setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, device.c_str(), socklen_t(device.size())) == 0)
    return {};
  int err = errno;
  return make_error(err == EPERM ? Errc::environment : Errc::io, "local",
                    "SO_BINDTODEVICE " + device + ": " + errno_text(err));
}

} // namespace ikekit::io
