#include "ctl/line_framer.hpp"

namespace ikekit::ctl {

void LineFramer::feed(std::string_view bytes) {
  while (!bytes.empty()) {
    size_t nl = bytes.find('\n');
    if (discarding_) { // the tail of a line already reported as oversized
      if (nl == std::string_view::npos) return;
      discarding_ = false;
      bytes.remove_prefix(nl + 1);
      continue;
    }
    std::string_view part = bytes.substr(0, nl); // npos: all of it
    if (partial_.size() + part.size() > max_line_) {
      ready_.push_back(FramedLine{{}, true});
      partial_.clear();
      partial_.shrink_to_fit();
      if (nl == std::string_view::npos) {
        discarding_ = true;
        return;
      }
      bytes.remove_prefix(nl + 1);
      continue;
    }
    partial_.append(part);
    if (nl == std::string_view::npos) return;
    bytes.remove_prefix(nl + 1);
    if (!partial_.empty() && partial_.back() == '\r') partial_.pop_back();
    if (!partial_.empty()) ready_.push_back(FramedLine{std::move(partial_), false});
    partial_.clear();
  }
}

std::optional<FramedLine> LineFramer::next() {
  if (ready_.empty()) return std::nullopt;
  FramedLine l = std::move(ready_.front());
  ready_.pop_front();
  return l;
}

} // namespace ikekit::ctl
