// Status and Result<T>: how every call across the plugin boundary reports failure.
// No exception crosses the boundary; the host maps StatusCode to an HTTP status in
// one place (host/http/api_error.cpp).
#pragma once

#include <cassert>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "formation/visibility.hpp"

namespace formation {

enum class StatusCode {
  ok,
  not_found,
  invalid,
  conflict,
  unavailable,
  unsupported,
  permission_denied,
  internal,
};

// The wire name of a code, as used in the API's error envelope ("not_found", ...).
constexpr std::string_view to_string(StatusCode code) {
  switch (code) {
    case StatusCode::ok: return "ok";
    case StatusCode::not_found: return "not_found";
    case StatusCode::invalid: return "invalid";
    case StatusCode::conflict: return "conflict";
    case StatusCode::unavailable: return "unavailable";
    case StatusCode::unsupported: return "unsupported";
    case StatusCode::permission_denied: return "permission_denied";
    case StatusCode::internal: return "internal";
  }
  return "internal";
}

class [[nodiscard]] FORMATION_API Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status ok() { return {}; }
  static Status not_found(std::string m) { return {StatusCode::not_found, std::move(m)}; }
  static Status invalid(std::string m) { return {StatusCode::invalid, std::move(m)}; }
  static Status conflict(std::string m) { return {StatusCode::conflict, std::move(m)}; }
  static Status unavailable(std::string m) { return {StatusCode::unavailable, std::move(m)}; }
  static Status unsupported(std::string m) { return {StatusCode::unsupported, std::move(m)}; }
  static Status permission_denied(std::string m) {
    return {StatusCode::permission_denied, std::move(m)};
  }
  static Status internal(std::string m) { return {StatusCode::internal, std::move(m)}; }

  [[nodiscard]] bool is_ok() const { return code_ == StatusCode::ok; }
  [[nodiscard]] StatusCode code() const { return code_; }
  [[nodiscard]] const std::string& message() const { return message_; }

  // "not_found: no such instance" — for logs and CLI output.
  [[nodiscard]] std::string to_string() const {
    return std::string(formation::to_string(code_)) + (message_.empty() ? "" : ": " + message_);
  }

 private:
  StatusCode code_ = StatusCode::ok;
  std::string message_;
};

// A value or the Status that explains why there is none. Constructing a Result from an
// ok Status is a programming error (there would be neither value nor failure).
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : data_(std::move(value)) {}        // NOLINT(google-explicit-constructor)
  Result(Status status) : data_(std::move(status)) {  // NOLINT(google-explicit-constructor)
    assert(!std::get<Status>(data_).is_ok());
  }

  [[nodiscard]] bool is_ok() const { return std::holds_alternative<T>(data_); }
  [[nodiscard]] const Status& status() const {
    static const Status ok_status;
    return is_ok() ? ok_status : std::get<Status>(data_);
  }
  [[nodiscard]] T& value() & { return std::get<T>(data_); }
  [[nodiscard]] const T& value() const& { return std::get<T>(data_); }
  [[nodiscard]] T&& value() && { return std::get<T>(std::move(data_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> data_;
};

}  // namespace formation
