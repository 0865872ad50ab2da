#include "io/stream_writer.hpp"

#include "wire/tcp_encap.hpp"

#include <cerrno>
#include <cstring>
#include <sys/socket.h>
#include <unistd.h>

namespace ikekit::io {

StreamWriter::StreamWriter(Fd fd, bool connected, int wake_fd, size_t capacity, size_t esp_limit)
    : fd_(std::move(fd)), wake_fd_(wake_fd), connected_(connected), capacity_(capacity),
      esp_limit_(std::min(esp_limit, capacity)) {
  buf_.reserve(capacity_); // DESIGN 3: the packet path never grows it
}

StreamWriter::~StreamWriter() { close(); }

bool StreamWriter::fits(size_t n, size_t limit) {
  if (off_ == buf_.size()) {
    buf_.clear();
    off_ = 0;
  }
  if (buf_.size() - off_ + n > limit) return false;
  if (buf_.size() + n > capacity_) { // room only at the front: move what waits there
    std::memmove(buf_.data(), buf_.data() + off_, buf_.size() - off_);
    buf_.resize(buf_.size() - off_);
    off_ = 0;
  }
  return true;
}

bool StreamWriter::frame(wire::UdpKind kind, ByteView body, size_t limit) {
  const size_t overhead =
      kind == wire::UdpKind::ike ? wire::kTcpIkeOverhead : wire::kTcpEspOverhead;
  if (overhead + body.size() > wire::kTcpMaxFrame || !fits(overhead + body.size(), limit))
    return false;
  size_t at = buf_.size();
  buf_.resize(at + overhead + body.size()); // within the reserved capacity
  (void)wire::write_tcp_frame_header(MutBytes(buf_.data() + at, overhead), kind, body.size());
  std::memcpy(buf_.data() + at + overhead, body.data(), body.size());
  return true;
}

bool StreamWriter::append_raw(ByteView bytes) {
  std::lock_guard lock(mu_);
  if (closed_ || !fits(bytes.size(), capacity_)) return false;
  buf_.insert(buf_.end(), bytes.begin(), bytes.end());
  return true;
}

bool StreamWriter::append(wire::UdpKind kind, ByteView body) {
  std::lock_guard lock(mu_);
  const bool esp = kind == wire::UdpKind::esp;
  if (closed_) {
    ++(esp ? stats_.esp_closed : stats_.ike_dropped);
    return false;
  }
  if (!frame(kind, body, esp ? esp_limit_ : capacity_)) {
    ++(esp ? stats_.esp_full : stats_.ike_dropped);
    return false;
  }
  ++(esp ? stats_.esp_frames : stats_.ike_frames);
  return true;
}

size_t StreamWriter::append_esp(std::span<const esp::SealedPacket> packets) {
  std::lock_guard lock(mu_);
  if (closed_) {
    stats_.esp_closed += packets.size();
    return 0;
  }
  size_t took = 0;
  for (const esp::SealedPacket& p : packets)
    if (frame(wire::UdpKind::esp, p.esp, esp_limit_)) ++took;
  stats_.esp_frames += took;
  stats_.esp_full += packets.size() - took;
  return took;
}

StreamWriter::Flush StreamWriter::flush_locked() {
  if (closed_ || failed_) return Flush::failed;
  while (connected_ && off_ < buf_.size()) {
    ssize_t n =
        ::send(fd_.get(), buf_.data() + off_, buf_.size() - off_, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return Flush::blocked;
      failed_ = true;
      buf_.clear();
      off_ = 0;
      return Flush::failed;
    }
    off_ += size_t(n);
    ++stats_.writes;
    stats_.bytes += uint64_t(n);
  }
  return off_ < buf_.size() ? Flush::blocked : Flush::done;
}

StreamWriter::Flush StreamWriter::flush() {
  std::lock_guard lock(mu_);
  return flush_locked();
}

void StreamWriter::flush_and_signal() {
  std::lock_guard lock(mu_);
  Flush f = flush_locked();
  // Not yet connected: the event loop already waits for the connect to finish.
  if (f == Flush::done || (f == Flush::blocked && !connected_) || closed_ || signalled_) return;
  signalled_ = true;
  uint64_t one = 1;
  (void)!::write(wake_fd_, &one, sizeof one);
}

bool StreamWriter::take_signal() {
  std::lock_guard lock(mu_);
  bool s = signalled_;
  signalled_ = false;
  return s;
}

void StreamWriter::set_connected() {
  std::lock_guard lock(mu_);
  connected_ = true;
}

void StreamWriter::close() {
  std::lock_guard lock(mu_);
  if (closed_) return;
  closed_ = true;
  fd_.reset();
  buf_.clear();
  off_ = 0;
}

bool StreamWriter::closed() const {
  std::lock_guard lock(mu_);
  return closed_;
}

bool StreamWriter::failed() const {
  std::lock_guard lock(mu_);
  return failed_;
}

size_t StreamWriter::pending() const {
  std::lock_guard lock(mu_);
  return buf_.size() - off_;
}

StreamWriterStats StreamWriter::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

} // namespace ikekit::io
