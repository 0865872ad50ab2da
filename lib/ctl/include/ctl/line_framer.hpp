// Splits a byte stream into '\n'-terminated lines with a size cap (ikectl protocol).
// Memory stays bounded by the cap: a line that grows past it is reported once as
// oversized and the rest of it is discarded up to its '\n'. A trailing '\r' is dropped.
#pragma once

#include "ctl/protocol.hpp"

#include <cstddef>
#include <deque>
#include <optional>
#include <string>
#include <string_view>

namespace ikekit::ctl {

struct FramedLine {
  std::string text;       // the line without '\n' (empty when oversized)
  bool oversized = false; // the line exceeded the cap and was discarded
};

class LineFramer {
public:
  explicit LineFramer(size_t max_line = kMaxLineBytes) : max_line_(max_line) {}

  void feed(std::string_view bytes);
  // The next complete line, or an oversized marker, or nullopt until more bytes come.
  // Blank lines are skipped.
  std::optional<FramedLine> next();
  size_t buffered() const { return partial_.size(); } // bytes of an incomplete line

private:
  size_t max_line_;
  std::string partial_;          // the incomplete line so far (<= max_line_)
  std::deque<FramedLine> ready_; // complete lines not yet taken
  bool discarding_ = false;      // inside an oversized line already reported
};

} // namespace ikekit::ctl
