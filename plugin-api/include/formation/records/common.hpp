// Vocabulary shared by every record and kind interface: time, pagination, resource
// amounts, and the helpers that turn the records' enums into their wire names and back.
//
// Conventions for every record under formation/records/ (docs/plugin-kinds.md):
//  - ids are lower-case hex strings chosen by the caller (the host); a store never invents
//    an id. Addresses are "0x" + 40 lower-case hex characters.
//  - timestamps are std::chrono::system_clock::time_point (UTC); `created_at` and
//    `updated_at` are set by the state store on write, whatever the caller passed.
//  - money is an integer number of micro-credits (std::int64_t, 1 credit = 1 000 000);
//    never a floating-point number. Measurements (CPU seconds, GB) may be `double`.
//  - JSON blobs (manifests, results, event payloads) are std::string holding a JSON value.
//  - `version` is the row version used for optimistic concurrency: 0 means "not stored
//    yet"; a create stores version 1; an update must carry the version it read and the
//    store answers `conflict` when the row has moved on, then stores version + 1.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "formation/status.hpp"
#include "formation/visibility.hpp"

namespace formation {

using TimePoint = std::chrono::system_clock::time_point;

// What a list call asks for. `limit` 0 means the implementation's default (100); larger
// values than the implementation's maximum (at least 1000) are clamped, negative values are
// `invalid`. `page_token` is empty for the first page, else a token returned earlier; a
// token the implementation did not issue is `invalid`.
struct FORMATION_API PageRequest {
  std::int64_t limit = 0;
  std::string page_token;
};

// One page of a list. `next_page_token` is empty on the last page. Pages are stable: items
// are ordered by a unique key and the token encodes the last key returned, so rows added
// or removed between calls never make a page repeat or skip an unchanged row.
template <typename T>
struct FORMATION_API Page {
  std::vector<T> items;
  std::string next_page_token;

  [[nodiscard]] bool last() const { return next_page_token.empty(); }
};

// An amount of the three resources an instance is sized by.
struct FORMATION_API Resources {
  std::int64_t vcpus = 0;
  std::int64_t memory_mb = 0;
  std::int64_t disk_gb = 0;

  friend bool operator==(const Resources&, const Resources&) = default;
};

// A half-open interval [start, end) of metered time.
struct FORMATION_API Period {
  TimePoint start;
  TimePoint end;

  friend bool operator==(const Period&, const Period&) = default;
};

namespace detail {
// Finds the enumerator whose wire name (found by ADL as `to_string(E)`) is `name`.
template <typename E, std::size_t N>
constexpr std::optional<E> parse_enum(std::string_view name, const std::array<E, N>& all) {
  for (E value : all) {
    if (to_string(value) == name) return value;
  }
  return std::nullopt;
}
}  // namespace detail

inline constexpr std::array kAllStatusCodes = {
    StatusCode::ok,
    StatusCode::not_found,
    StatusCode::invalid,
    StatusCode::conflict,
    StatusCode::unavailable,
    StatusCode::unsupported,
    StatusCode::permission_denied,
    StatusCode::internal,
};

// The code for a wire name ("not_found" -> StatusCode::not_found); nullopt when unknown.
// Used to store an Operation's error code as text and to read it back.
constexpr std::optional<StatusCode> parse_status_code(std::string_view name) {
  return detail::parse_enum(name, kAllStatusCodes);
}

}  // namespace formation
