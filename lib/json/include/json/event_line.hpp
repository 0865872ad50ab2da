// ike-up's lines for the events of every SA's life (ike_sa_up, child_sa_up,
// ike_sa_rekeyed, child_sa_rekeyed, child_sa_down, ike_sa_down), written as text straight
// into a buffer the renderer keeps: the bytes JsonOutput::write(event_to_json(e, time))
// writes without --pretty, newline included, with no nlohmann object built and, once its
// buffers have grown to a line's size, no allocation. A responder writes two such lines
// per handshake; building and dumping them through nlohmann cost an eighth of its CPU
// (ike-bench handshake --mode udp). event_to_json stays the definition of the stream (the
// control socket publishes it, and it renders every other event);
// tests/unit/json/test_event_line.cpp holds both to the same bytes.
#pragma once

#include "ike/events.hpp"

#include <string>
#include <string_view>

namespace ikekit::json {

class EventLineRenderer {
public:
  // Renders `event` with `time` (RFC 3339) as one line, '\n' included, into line();
  // false for the kinds it does not render (the caller uses event_to_json).
  bool render(const ike::Event& event, std::string_view time);
  std::string_view line() const { return line_; }

private:
  std::string line_;
  std::string scratch_; // a value's text before it is escaped into line_
};

// `s` as a JSON string (quotes included) as nlohmann's dump(-1, ' ', false,
// error_handler_t::replace) writes it: '"', '\' and the control characters escaped (\b
// \t \n \f \r, the others \u00xx), valid UTF-8 copied as it is, invalid UTF-8 replaced
// with U+FFFD by nlohmann itself (a rare string from the wire may cost an allocation).
void append_json_string(std::string& out, std::string_view s);

} // namespace ikekit::json
