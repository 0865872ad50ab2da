// Result<T> and Error: how every library call reports failure (DESIGN 3, "Errors").
// The member names follow std::expected so Result can become an alias once both
// GCC and clang-14 in our toolchain compile <expected>.
#pragma once

#include <cassert>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace ikekit {

// Stable error codes; their snake_case names are part of the JSON schema.
enum class Errc {
  truncated,   // input ended before a field was complete
  bad_length,  // a length field disagrees with the data or the rules
  bad_value,   // a field holds a value that is not allowed
  unsupported, // valid but not implemented (an algorithm, a format)
  not_found,   // a key, SA, file or name that is needed is missing
  integrity,   // ICV / MAC / signature check failed
  crypto,      // the crypto library refused an operation
  io,          // a file, socket or device operation failed
  usage,       // bad command line or config
  environment, // missing privilege or kernel support
  protocol,    // the peer broke the protocol
  timeout,     // gave up waiting
};

std::string_view errc_name(Errc code);

struct Error {
  Errc code = Errc::bad_value;
  std::string field; // dotted path of the failing field, e.g. "sa.proposal[1].transform[3].length"
  std::string message; // what was wrong and what was allowed

  // Prefix the field path with an outer element: "transform[3]" + "length" ->
  // "transform[3].length".
  Error& within(std::string_view outer) {
    if (field.empty())
      field = std::string(outer);
    else if (!outer.empty())
      field = std::string(outer) + (field.front() == '[' ? "" : ".") + field;
    return *this;
  }
};

inline Error make_error(Errc code, std::string field, std::string message) {
  return Error{code, std::move(field), std::move(message)};
}

// Marker that lets `return unexpected(err);` read like std::expected code.
struct Unexpected {
  Error error;
};
inline Unexpected unexpected(Error e) { return Unexpected{std::move(e)}; }

template <typename T> class [[nodiscard]] Result {
public:
  Result(T value)
      : v_(std::in_place_index<0>, std::move(value)) {} // NOLINT(google-explicit-constructor)
  Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {}    // NOLINT
  Result(Unexpected u) : v_(std::in_place_index<1>, std::move(u.error)) {} // NOLINT

  bool has_value() const { return v_.index() == 0; }
  explicit operator bool() const { return has_value(); }

  T& value() & {
    assert(has_value());
    return std::get<0>(v_);
  }
  const T& value() const& {
    assert(has_value());
    return std::get<0>(v_);
  }
  T&& value() && {
    assert(has_value());
    return std::get<0>(std::move(v_));
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const& {
    assert(!has_value());
    return std::get<1>(v_);
  }
  Error&& error() && {
    assert(!has_value());
    return std::get<1>(std::move(v_));
  }

private:
  std::variant<T, Error> v_;
};

template <> class [[nodiscard]] Result<void> {
public:
  Result() = default;
  Result(Error error) : err_(std::move(error)), ok_(false) {}    // NOLINT
  Result(Unexpected u) : err_(std::move(u.error)), ok_(false) {} // NOLINT
  bool has_value() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const {
    assert(!ok_);
    return err_;
  }

private:
  Error err_;
  bool ok_ = true;
};

} // namespace ikekit
