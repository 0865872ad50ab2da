// io's name for the owned file descriptor (base/fd.hpp), which every socket, eventfd,
// epoll set and device of this layer is held in.
#pragma once

#include "base/fd.hpp"

namespace ikekit::io {

using ikekit::Fd;

} // namespace ikekit::io
