// Internal: an optional point in time in 8 bytes, for the deadlines of SA records.
#pragma once

#include "base/time.hpp"

#include <optional>

namespace ikekit::ike {

// std::optional<TimePoint> takes 16 bytes (the flag pads to the clock's 8): an IKE SA has
// five such deadlines and each Child SA two, a million times over (issue 17). OptTime
// keeps "none" as TimePoint::min(), which no steady clock reading ever is, and otherwise
// reads like the std::optional it replaces.
class OptTime {
public:
  constexpr OptTime() = default;
  constexpr OptTime(std::nullopt_t) {}
  constexpr OptTime(TimePoint t) : t_(t) {}
  constexpr OptTime(const std::optional<TimePoint>& o) : t_(o ? *o : kNone) {}

  constexpr bool has_value() const { return t_ != kNone; }
  constexpr explicit operator bool() const { return has_value(); }
  constexpr const TimePoint& operator*() const { return t_; }
  constexpr TimePoint value_or(TimePoint other) const { return has_value() ? t_ : other; }
  constexpr void reset() { t_ = kNone; }
  constexpr operator std::optional<TimePoint>() const {
    return has_value() ? std::optional<TimePoint>(t_) : std::nullopt;
  }

  // As std::optional compares with a value: none is before every time.
  friend constexpr bool operator==(const OptTime& a, TimePoint b) {
    return a.has_value() && a.t_ == b;
  }
  friend constexpr bool operator<(const OptTime& a, TimePoint b) {
    return !a.has_value() || a.t_ < b;
  }
  friend constexpr bool operator>(const OptTime& a, TimePoint b) {
    return a.has_value() && a.t_ > b;
  }
  friend constexpr bool operator==(const OptTime& a, const OptTime& b) { return a.t_ == b.t_; }

private:
  static constexpr TimePoint kNone = TimePoint::min();
  TimePoint t_ = kNone;
};

} // namespace ikekit::ike
