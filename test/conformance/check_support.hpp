// What every conformance suite's checks are written with: a check is a lambda returning ""
// when it passed and what went wrong otherwise; REQUIRE* return early with that text;
// run_check() records the result, also when the plugin threw.
#pragma once

#include <cstddef>
#include <exception>
#include <functional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "conformance.hpp"
#include "formation/status.hpp"

namespace formation::conformance {

inline std::string random_hex(std::size_t n) {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(n, '0');
  for (auto& c : out) c = kHex[rng() % 16];
  return out;
}

inline const Status& status_of(const Status& s) { return s; }
template <typename T>
const Status& status_of(const Result<T>& r) {
  return r.status();
}

inline void run_check(std::vector<CheckResult>& out, std::string name,
                      const std::function<std::string()>& body) {
  std::string failure;
  try {
    failure = body();
  } catch (const std::exception& e) {
    failure = std::string("threw: ") + e.what();
  } catch (...) {
    failure = "threw a non-exception";
  }
  out.push_back({std::move(name), failure.empty(), failure});
}

}  // namespace formation::conformance

// Inside a check (a lambda returning std::string: empty = passed).
#define REQUIRE(cond, what)                \
  do {                                     \
    if (!(cond)) return std::string(what); \
  } while (0)
#define REQUIRE_OK(expr, what)                                          \
  do {                                                                  \
    const auto& req_ok_ = (expr);                                       \
    if (!req_ok_.is_ok()) {                                             \
      return std::string(what) + ": " + status_of(req_ok_).to_string(); \
    }                                                                   \
  } while (0)
#define REQUIRE_CODE(expr, expected, what)                                                     \
  do {                                                                                         \
    const auto& req_code_ = (expr);                                                            \
    if (status_of(req_code_).code() != (expected)) {                                           \
      return std::string(what) + ": expected " + std::string(to_string(expected)) + ", got " + \
             (req_code_.is_ok() ? std::string("ok") : status_of(req_code_).to_string());       \
    }                                                                                          \
  } while (0)
