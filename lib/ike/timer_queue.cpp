// TimerQueue (timer_queue.hpp): a binary min-heap of (deadline, key) whose entries know
// their slot and each slot its entry's index, so moving or cancelling a deadline is
// O(log n) and exact.
#include "ike/timer_queue.hpp"

#include <algorithm>

namespace ikekit::ike {

TimerSlot::~TimerSlot() {
  if (queue_) queue_->cancel(*this);
}

std::optional<TimePoint> TimerSlot::at() const {
  if (!queue_) return std::nullopt;
  return queue_->heap_[index_].at;
}

TimerQueue::~TimerQueue() {
  for (Entry& e : heap_)
    e.slot->queue_ = nullptr;
}

void TimerQueue::place(size_t i, const Entry& e) {
  heap_[i] = e;
  e.slot->index_ = i;
}

void TimerQueue::sift_up(size_t i) {
  Entry e = heap_[i];
  while (i > 0) {
    size_t parent = (i - 1) / 2;
    if (!before(e, heap_[parent])) break;
    place(i, heap_[parent]);
    i = parent;
  }
  place(i, e);
}

void TimerQueue::sift_down(size_t i) {
  Entry e = heap_[i];
  const size_t n = heap_.size();
  for (;;) {
    size_t child = 2 * i + 1;
    if (child >= n) break;
    if (child + 1 < n && before(heap_[child + 1], heap_[child])) ++child;
    if (!before(heap_[child], e)) break;
    place(i, heap_[child]);
    i = child;
  }
  place(i, e);
}

void TimerQueue::remove_at(size_t i) {
  TimerSlot* gone = heap_[i].slot;
  const Entry moved = heap_.back();
  heap_.pop_back();
  if (moved.slot != gone) { // the last entry fills the hole, then finds its place
    place(i, moved);
    sift_down(i);
    sift_up(moved.slot->index_);
  }
  gone->queue_ = nullptr;
}

void TimerQueue::set(TimerSlot& slot, uint64_t key, std::optional<TimePoint> at) {
  if (!at) return cancel(slot);
  if (slot.queue_ == this) {
    Entry& e = heap_[slot.index_];
    const bool earlier = before(Entry{*at, key, &slot}, e);
    e.at = *at;
    e.key = key;
    return earlier ? sift_up(slot.index_) : sift_down(slot.index_);
  }
  if (slot.queue_) slot.queue_->cancel(slot);
  slot.queue_ = this;
  heap_.push_back(Entry{*at, key, &slot});
  slot.index_ = heap_.size() - 1;
  sift_up(slot.index_);
}

void TimerQueue::cancel(TimerSlot& slot) {
  if (slot.queue_ != this) return;
  remove_at(slot.index_);
}

std::optional<TimePoint> TimerQueue::next() const {
  if (heap_.empty()) return std::nullopt;
  return heap_.front().at;
}

std::vector<uint64_t> TimerQueue::due(TimePoint now) const {
  // Depth-first from the root: a node that is not due has no due descendants.
  std::vector<uint64_t> keys;
  std::vector<size_t> stack;
  if (!heap_.empty() && heap_.front().at <= now) stack.push_back(0);
  while (!stack.empty()) {
    size_t i = stack.back();
    stack.pop_back();
    keys.push_back(heap_[i].key);
    for (size_t c = 2 * i + 1; c <= 2 * i + 2 && c < heap_.size(); ++c)
      if (heap_[c].at <= now) stack.push_back(c);
  }
  std::sort(keys.begin(), keys.end());
  return keys;
}

} // namespace ikekit::ike
