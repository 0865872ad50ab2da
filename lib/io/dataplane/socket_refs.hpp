// The UDP sockets the TUN data plane's pairs send ESP from when it shares ike-up's
// sockets (TunDataplaneOptions::shared_udp_fd): ike-up's NAT-T socket of each local
// address. Private to the data plane (tun_dataplane.cpp).
//
// The sockets are ike-up's (its IKE transport opens and closes them); the data plane
// holds its own descriptor of each (dup(2)), counted by the pairs that send from it.
// A socket lives until its last descriptor closes, so whatever its owner closes (an
// address that went away, or the runner going before the data plane at exit), the
// sending thread never writes to a closed or reused descriptor: ours is closed only
// once no pair uses it, after the sending thread took that change. (An owner that
// closes a socket it watches with epoll removes it first, EventLoop::remove: epoll
// forgets a socket only when its last descriptor closes, ours included.)
#pragma once

#include "base/result.hpp"
#include "io/dataplane/esp_socket.hpp"

#include <cstddef>
#include <sys/types.h>
#include <vector>

namespace ikekit::io::dataplane {

class SocketRefs {
public:
  // Our descriptor of the socket `fd` refers to (the same socket, found by its inode,
  // whatever descriptor names it), with `pairs` (> 0) more pairs on it. The first time,
  // the socket gets ESP-sized buffers. Errc::io when `fd` is no socket or cannot be
  // duplicated.
  Result<int> acquire(int fd, size_t pairs = 1);
  // One pair less on our descriptor `fd` (from acquire); the last closes it. Call once
  // the sending thread no longer sends on it for that pair.
  void release(int fd);
  // Our descriptors open (sockets in use).
  size_t size() const { return refs_.size(); }

private:
  struct Ref {
    Fd fd;
    dev_t dev = 0;
    ino_t ino = 0;
    size_t pairs = 0;
  };
  std::vector<Ref> refs_; // a few: one per local address in use
};

} // namespace ikekit::io::dataplane
