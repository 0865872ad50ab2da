// One control client's protocol state, sans-I/O (lib/io moves the bytes): the hello
// line, line framing with the 64 KiB cap, request execution through ControlService,
// event streaming to a monitor or a waiting request, and the output the client has not
// read yet. The I/O layer bounds that output (a client that never reads is dropped).
//
//   Session s(service);                       // output() now holds the hello line
//   s.receive(bytes_read, now);               // requests -> responses in output()
//   s.publish(event, event_json);             // for monitor / wait
//   write(fd, s.output()); s.consume(n);
#pragma once

#include "ctl/line_framer.hpp"
#include "ctl/service.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ikekit::ctl {

class Session {
public:
  explicit Session(ControlService& service);

  // Bytes from the client; every complete line is answered (one response per line,
  // errors included). Returns true when a command may have queued engine output
  // (initiate, terminate, rekey, load), so the caller flushes the engine's transmits.
  bool receive(std::string_view bytes, TimePoint now);

  // An engine event (and its ike-up JSON line): streamed to a monitor, or to a request
  // waiting for it, followed by that request's "done" line.
  void publish(const ike::Event& event, const Json& event_json);
  // A line of ike-up's own that no engine event stands behind (dataplane_error): to a
  // monitor only; a waiting request waits for engine events.
  void publish_json(const Json& event_json);

  std::string_view output() const { return std::string_view(out_).substr(out_pos_); }
  size_t output_bytes() const { return out_.size() - out_pos_; }
  void consume(size_t n);

  bool monitoring() const { return monitor_id_.has_value(); }
  size_t waits() const { return waits_.size(); }
  uint64_t requests() const { return requests_; }

private:
  void answer(const FramedLine& line, TimePoint now, bool& touched);
  void push(const std::string& line);

  struct PendingWait {
    Json id;
    Wait wait;
  };

  ControlService& service_;
  LineFramer framer_;
  std::string out_;
  size_t out_pos_ = 0;
  std::optional<Json> monitor_id_; // the monitor request's id, once subscribed
  std::vector<PendingWait> waits_;
  uint64_t requests_ = 0;
};

} // namespace ikekit::ctl
