// Internal: Boxed<T>, std::optional's interface with the value on the heap. For the
// parts of an IKE SA that are empty nearly all of its life (a CREATE_CHILD_SA of ours in
// flight, the peer's IKE SA rekey held aside, fragments being reassembled): one pointer
// in the SA record instead of the value's full size, which std::optional keeps inline
// whether engaged or not (issue 17: memory per established SA).
#pragma once

#include <memory>
#include <optional>
#include <utility>

namespace ikekit::ike {

template <typename T> class Boxed {
public:
  Boxed() = default;
  Boxed(Boxed&&) noexcept = default;
  Boxed& operator=(Boxed&&) noexcept = default;
  Boxed& operator=(T&& v) { return set(std::move(v)); }
  Boxed& operator=(const T& v) { return set(T(v)); }
  Boxed& operator=(std::nullopt_t) {
    reset();
    return *this;
  }

  template <typename... A> T& emplace(A&&... args) {
    p_ = std::make_unique<T>(std::forward<A>(args)...);
    return *p_;
  }
  void reset() { p_.reset(); }
  bool has_value() const { return p_ != nullptr; }
  explicit operator bool() const { return has_value(); }
  T& operator*() { return *p_; }
  const T& operator*() const { return *p_; }
  T* operator->() { return p_.get(); }
  const T* operator->() const { return p_.get(); }
  // Moves the value out as a std::optional (this one stays engaged, moved from).
  operator std::optional<T>() && {
    if (!p_) return std::nullopt;
    return std::optional<T>(std::move(*p_));
  }

private:
  Boxed& set(T&& v) {
    if (p_)
      *p_ = std::move(v);
    else
      p_ = std::make_unique<T>(std::move(v));
    return *this;
  }
  std::unique_ptr<T> p_;
};

} // namespace ikekit::ike
