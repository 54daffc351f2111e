// RFC 3339 UTC times as the event payloads carry them ("2026-12-07T07:20:02.123Z"):
// millisecond precision, the key precision of usage periods. One definition for every
// plugin that writes or reads usage and threshold events.
#pragma once

#include <chrono>
#include <cstdio>
#include <string>
#include <string_view>

#include "formation/records/common.hpp"
#include "formation/status.hpp"

namespace formation {

namespace detail {
// Event times are recent; the bounds keep every time representable as a TimePoint.
inline constexpr int kRfc3339MinYear = 1970;
inline constexpr int kRfc3339MaxYear = 2200;

// The digits at [pos, pos + n) as a number; -1 when any is not a digit.
inline int rfc3339_digits(std::string_view s, std::size_t pos, std::size_t n) {
  if (pos + n > s.size()) return -1;
  int value = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return -1;
    value = value * 10 + (s[i] - '0');
  }
  return value;
}
}  // namespace detail

// "2026-12-07T07:00:00Z", "...T07:00:00.250Z", "...+00:00": a UTC instant; digits past the
// millisecond are dropped. invalid for anything else (other offsets included: events are
// UTC).
inline Result<TimePoint> parse_rfc3339_utc(std::string_view text) {
  const auto bad = [&] {
    return Status::invalid("'" + std::string(text.substr(0, 40)) +
                           "' is not an RFC 3339 UTC time (YYYY-MM-DDTHH:MM:SS[.fff]Z)");
  };
  if (text.size() < 20 || text.size() > 40) return bad();
  const int year = detail::rfc3339_digits(text, 0, 4);
  const int month = detail::rfc3339_digits(text, 5, 2);
  const int day = detail::rfc3339_digits(text, 8, 2);
  const int hour = detail::rfc3339_digits(text, 11, 2);
  const int minute = detail::rfc3339_digits(text, 14, 2);
  const int second = detail::rfc3339_digits(text, 17, 2);
  if (year < 0 || month < 0 || day < 0 || hour < 0 || minute < 0 || second < 0 || text[4] != '-' ||
      text[7] != '-' || (text[10] != 'T' && text[10] != 't') || text[13] != ':' ||
      text[16] != ':' || hour > 23 || minute > 59 || second > 59) {
    return bad();
  }
  // system_clock counts nanoseconds in 64 bits (years 1678 to 2262): a year outside that
  // overflowed the conversion below (found by fuzz_billing_input; kept in its corpus).
  if (year < detail::kRfc3339MinYear || year > detail::kRfc3339MaxYear) return bad();
  const std::chrono::year_month_day date{std::chrono::year(year), std::chrono::month(month),
                                         std::chrono::day(day)};
  if (!date.ok()) return bad();
  std::size_t pos = 19;
  int millis = 0;
  if (text[pos] == '.') {
    std::size_t end = pos + 1;
    while (end < text.size() && text[end] >= '0' && text[end] <= '9') ++end;
    const std::size_t n = end - pos - 1;
    if (n == 0 || n > 9) return bad();
    // Sub-millisecond digits are dropped: usage periods are keyed at millisecond precision.
    for (std::size_t i = 0; i < 3; ++i) {
      millis = millis * 10 + (i < n ? text[pos + 1 + i] - '0' : 0);
    }
    pos = end;
  }
  const std::string_view zone = text.substr(pos);
  if (zone != "Z" && zone != "z" && zone != "+00:00" && zone != "-00:00") return bad();
  const auto time = std::chrono::sys_days(date) + std::chrono::hours(hour) +
                    std::chrono::minutes(minute) + std::chrono::seconds(second) +
                    std::chrono::milliseconds(millis);
  return TimePoint(std::chrono::duration_cast<TimePoint::duration>(time.time_since_epoch()));
}

// "2026-12-07T07:00:00.250Z" (always milliseconds).
inline std::string format_rfc3339_utc(TimePoint time) {
  const auto ms = std::chrono::floor<std::chrono::milliseconds>(time);
  const auto days = std::chrono::floor<std::chrono::days>(ms);
  const std::chrono::year_month_day date{days};
  const std::chrono::hh_mm_ss clock{ms - days};
  char out[40];
  std::snprintf(
      out, sizeof out, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ", static_cast<int>(date.year()),
      static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
      static_cast<int>(clock.hours().count()), static_cast<int>(clock.minutes().count()),
      static_cast<int>(clock.seconds().count()), static_cast<int>(clock.subseconds().count()));
  return out;
}

}  // namespace formation
