// The sending half of one RFC 9329 TCP connection, shared by two threads: ike-up's event
// loop (the "IKETCP" prefix, IKE frames, and flushing once the socket is writable again)
// and the TUN data plane's sending thread (ESP frames, a batch at a time). Frames are
// appended to one buffer, reserved once, and written with one send(2) per batch; one
// mutex per connection, taken once to append a batch and once to write it.
//
// Backpressure: a socket whose buffer is full keeps what it did not take here; ESP
// beyond `esp_limit` pending bytes is dropped and counted (esp_full) rather than queued
// without bound (the inner TCP backs off as it would on a lossy path), so IKE always
// has room up to `capacity`. ESP for a closed connection is counted as esp_closed
// until the data plane follows the IKE SA to its new connection.
//
// A write the sending thread could not finish (EAGAIN) or that failed is signalled on
// `wake_fd` (an eventfd the event loop reads): the loop then watches the socket for
// writability, or closes a failed connection. The writer owns the fd from construction:
// close() closes it under the mutex, so the other thread never writes to a reused fd.
#pragma once

#include "base/bytes.hpp"
#include "esp/outbound_pipeline.hpp"
#include "io/fd.hpp"
#include "wire/udp_encap.hpp"

#include <cstdint>
#include <mutex>
#include <span>

namespace ikekit::io {

struct StreamWriterStats {
  uint64_t ike_frames = 0;  // IKE messages framed into the stream
  uint64_t esp_frames = 0;  // ESP packets framed into the stream
  uint64_t esp_full = 0;    // ESP dropped: esp_limit bytes already waiting (backpressure)
  uint64_t esp_closed = 0;  // ESP dropped: the connection is closed
  uint64_t ike_dropped = 0; // IKE messages dropped: capacity reached or closed
  uint64_t writes = 0;      // send(2) calls that wrote something
  uint64_t bytes = 0;       // stream bytes written
};

class StreamWriter {
public:
  enum class Flush { done, blocked, failed }; // blocked: bytes wait for POLLOUT

  StreamWriter(Fd fd, bool connected, int wake_fd, size_t capacity, size_t esp_limit);
  ~StreamWriter();
  StreamWriter(const StreamWriter&) = delete;
  StreamWriter& operator=(const StreamWriter&) = delete;

  // Raw bytes (the originator's "IKETCP", RFC 9329 4); false when they do not fit.
  bool append_raw(ByteView bytes);
  // One frame: IKE behind the non-ESP marker, or ESP (RFC 9329 3). False: not appended
  // (counted: ike_dropped, esp_full or esp_closed).
  bool append(wire::UdpKind kind, ByteView body);
  // The sending thread's batch: each packet framed as ESP, under one lock. Returns how
  // many were appended; the rest were dropped and counted.
  size_t append_esp(std::span<const esp::SealedPacket> packets);
  // Writes what is pending (nothing until connected). failed: the socket refused with an
  // error other than EAGAIN; what was pending is dropped.
  Flush flush();
  // flush() from a thread other than the event loop's: blocked or failed signals wake_fd
  // once, until take_signal().
  void flush_and_signal();
  // Event loop: whether the other thread signalled since the last call.
  bool take_signal();
  void set_connected();
  // Closes the fd (after the event loop removed it); later appends count as closed.
  void close();
  bool closed() const;
  bool failed() const;
  size_t pending() const;
  StreamWriterStats stats() const;

private:
  bool fits(size_t n, size_t limit); // mu_ held; compacts the buffer when that makes room
  bool frame(wire::UdpKind kind, ByteView body, size_t limit); // mu_ held
  Flush flush_locked();

  mutable std::mutex mu_;
  Fd fd_; // -1 once closed
  int wake_fd_;
  bool connected_;
  bool closed_ = false;
  bool failed_ = false;
  bool signalled_ = false;
  size_t capacity_, esp_limit_;
  Bytes buf_; // reserved to capacity_ once; pending bytes are [off_, size())
  size_t off_ = 0;
  StreamWriterStats stats_;
};

} // namespace ikekit::io
