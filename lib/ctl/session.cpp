#include "ctl/session.hpp"

namespace ikekit::ctl {

Session::Session(ControlService& service) : service_(service) {
  push(hello_line(service_.info().version, service_.info().pid));
}

void Session::push(const std::string& line) {
  out_ += line;
  out_ += '\n';
}

void Session::consume(size_t n) {
  out_pos_ += std::min(n, output_bytes());
  if (out_pos_ == out_.size()) {
    out_.clear();
    out_pos_ = 0;
  } else if (out_pos_ > 64 * 1024 && out_pos_ > out_.size() / 2) {
    out_.erase(0, out_pos_);
    out_pos_ = 0;
  }
}

bool Session::receive(std::string_view bytes, TimePoint now) {
  framer_.feed(bytes);
  bool touched = false;
  while (auto line = framer_.next())
    answer(*line, now, touched);
  return touched;
}

void Session::answer(const FramedLine& line, TimePoint now, bool& touched) {
  ++requests_;
  if (line.oversized) {
    push(error_line(Json(), make_error(Errc::bad_length, "line",
                                       "request longer than " + std::to_string(kMaxLineBytes) +
                                           " bytes; it was discarded")));
    return;
  }
  Json id;
  auto req = parse_request(line.text, &id);
  if (!req) {
    push(error_line(id, req.error()));
    return;
  }
  Outcome o = service_.execute(*req, now);
  if (!o.result) {
    push(error_line(req->id, o.result.error()));
    return;
  }
  const std::string& c = req->command;
  touched = touched || c == "initiate" || c == "terminate" || c == "rekey" || c == "load" ||
            c == "unload";
  push(ok_line(req->id, *o.result));
  if (o.subscribe) monitor_id_ = req->id;
  if (o.wait) {
    if (o.wait->pending.empty())
      push(done_line(req->id, true, Json(),
                     nullptr)); // nothing to wait for (unload of an idle connection)
    else
      waits_.push_back({req->id, std::move(*o.wait)});
  }
}

void Session::publish_json(const Json& event_json) {
  if (monitor_id_) push(event_line(*monitor_id_, event_json));
}

void Session::publish(const ike::Event& event, const Json& event_json) {
  if (event_json.is_null()) return; // SaKeys: never leaves the key log
  if (monitor_id_) push(event_line(*monitor_id_, event_json));
  for (size_t i = 0; i < waits_.size();) {
    WaitStep step = wait_step(waits_[i].wait, event);
    if (step == WaitStep::unrelated) {
      ++i;
      continue;
    }
    const Json& id = waits_[i].id;
    if (!monitor_id_) push(event_line(id, event_json));
    if (step == WaitStep::progress) {
      ++i;
      continue;
    }
    if (step == WaitStep::done_ok) {
      push(done_line(id, true, event_json, nullptr));
    } else {
      Error e = wait_failure(event);
      push(done_line(id, false, event_json, &e));
    }
    waits_.erase(waits_.begin() + long(i));
  }
}

} // namespace ikekit::ctl
