// Net (sim/net.hpp): engines on a simulated network.
#include "sim/net.hpp"

#include <algorithm>

namespace ikekit::sim {

using namespace std::chrono_literals;

Node& Net::add(std::string name, std::string_view addr, ike::Config cfg, uint64_t seed) {
  auto owned = std::make_unique<SeededRng>(seed);
  Node& n = add(std::move(name), addr, std::move(cfg), *owned);
  n.owned_rng = std::move(owned);
  return n;
}

Node& Net::add(std::string name, std::string_view addr, ike::Config cfg, Rng& r) {
  auto n = std::make_unique<Node>();
  n->name = std::move(name);
  n->address = ip(addr);
  n->rng = &r;
  n->engine = std::make_unique<ike::Engine>(std::move(cfg), r, now);
  nodes.push_back(std::move(n));
  return *nodes.back();
}

void Net::restart(Node& n, ike::Config cfg) {
  n.engine.reset(); // the old engine's memory goes before the new one's comes
  n.engine = std::make_unique<ike::Engine>(std::move(cfg), *n.rng, now);
}

double Net::uniform() {
  uint8_t b[4];
  rng.fill(b);
  return double(load_be32(b)) / 4294967296.0;
}

Bytes Net::spare_buffer() {
  if (spare_.empty()) return {};
  Bytes b = std::move(spare_.back());
  spare_.pop_back();
  return b;
}

void Net::charge(Node* n) {
  if (!cpu_clock || n == charged_) return;
  const double t = cpu_clock();
  if (charged_) charged_->cpu_s += t - charged_since_;
  charged_ = n;
  charged_since_ = t;
}

void Net::collect(Node& n) {
  charge(&n);
  while (auto t = n.engine->poll_transmit(MutBytes(scratch_.get(), kScratchBytes))) {
    if (n.silent) continue;
    ++n.datagrams_sent;
    n.bytes_sent += t->size;
    Bytes data = spare_buffer();
    data.assign(scratch_.get(), scratch_.get() + t->size); // keeps capacity
    if (tap && !tap(data, *t)) continue;
    // The draws are made whatever the rates (a test's seeds pick the same fates).
    int copies = 1;
    if (uniform() < loss)
      copies = 0;
    else if (uniform() < duplicate)
      copies = 2;
    for (int i = 0; i < copies; ++i) {
      Duration d = latency;
      if (uniform() < reorder) d += std::chrono::duration_cast<Duration>(50ms * uniform());
      // (the last copy takes the buffer: use-after-move cannot see that only it moves)
      InFlight f{now + d, seq++, Datagram{t->remote, t->local, t->nat_t, {}, t->stream},
                 i + 1 < copies ? data : std::move(data)}; // NOLINT(bugprone-use-after-move)
      if (route) route(f.dg);
      flight.push_back(std::move(f));
    }
    if (copies == 0) spare_.push_back(std::move(data));
  }
  while (auto e = n.engine->poll_event()) {
    if (n.on_event)
      n.on_event(std::move(*e));
    else
      n.events.push_back(std::move(*e));
  }
  while (auto r = n.engine->poll_backend_request())
    if (auto reply = backend ? backend(*r) : std::nullopt)
      answers.push_back(DueAnswer{now + reply->delay, &n, std::move(reply->answer)});
}

void Net::collect_all() {
  for (auto& n : nodes)
    collect(*n);
}

Node* Net::node_at(const IpAddress& a) {
  for (auto& n : nodes)
    if (n->address == a) return n.get();
  return nullptr;
}

void Net::deliver(InFlight& f) {
  Node* to = node_at(f.dg.local.address);
  if (to && !to->silent) {
    f.dg.data = f.data;
    ++delivered;
    charge(to);
    to->engine->receive(f.dg, now);
  }
  spare_.push_back(std::move(f.data));
}

void Net::answer_due() {
  for (size_t i = 0; i < answers.size();)
    if (answers[i].at <= now) {
      DueAnswer a = std::move(answers[i]);
      answers.erase(answers.begin() + long(i));
      charge(a.node);
      a.node->engine->backend_answer(a.answer, now);
    } else {
      ++i;
    }
}

bool Net::step(TimePoint limit) {
  collect_all();
  std::optional<TimePoint> next_timer;
  for (auto& n : nodes)
    if (auto t = n->engine->next_timeout(); t && (!next_timer || *t < *next_timer)) next_timer = t;
  for (const auto& a : answers)
    if (!next_timer || a.at < *next_timer) next_timer = a.at;
  auto it =
      std::min_element(flight.begin(), flight.end(), [](const InFlight& a, const InFlight& b) {
        return a.at != b.at ? a.at < b.at : a.seq < b.seq;
      });
  bool have_dg = it != flight.end();
  if (!have_dg && !next_timer) return false;
  if (have_dg && (!next_timer || it->at <= *next_timer)) {
    if (it->at > limit) return false;
    now = std::max(now, it->at);
    InFlight f = std::move(*it);
    flight.erase(it);
    deliver(f);
  } else {
    if (*next_timer > limit) return false;
    now = std::max(now, *next_timer);
    answer_due();
    for (auto& n : nodes)
      if (auto t = n->engine->next_timeout(); t && *t <= now) n->engine->on_timeout(now);
  }
  collect_all();
  return true;
}

bool Net::run_until(const std::function<bool()>& done, Duration max) {
  TimePoint limit = now + max;
  for (int i = 0; i < 200000; ++i) {
    if (done()) return true;
    if (!step(limit)) return done();
  }
  return done();
}

void Net::run_for(Duration d) {
  TimePoint limit = now + d;
  for (int i = 0; i < 200000 && step(limit); ++i) {
  }
  now = std::max(now, limit);
}

bool Net::deliver_due() {
  auto earlier = [](const InFlight& a, const InFlight& b) {
    return a.at != b.at ? a.at < b.at : a.seq < b.seq;
  };
  if (!std::is_sorted(flight.begin(), flight.end(), earlier))
    std::sort(flight.begin(), flight.end(), earlier);
  size_t n = 0;
  while (n < flight.size() && flight[n].at <= now)
    deliver(flight[n++]);
  flight.erase(flight.begin(), flight.begin() + std::ptrdiff_t(n));
  return n > 0;
}

bool Net::fire_due(Node& n) {
  auto t = n.engine->next_timeout();
  if (!t || *t > now) return false;
  charge(&n);
  n.engine->on_timeout(now);
  return true;
}

bool Net::pump(TimePoint t) {
  now = std::max(now, t);
  bool moved = false;
  for (auto& n : nodes) {
    collect(*n);
    moved |= deliver_due();
  }
  answer_due();
  for (auto& n : nodes) {
    moved |= fire_due(*n);
    collect(*n);
  }
  charge(nullptr);
  return moved;
}

} // namespace ikekit::sim
