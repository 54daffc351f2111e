#include "usage_event.hpp"

#include <rapidjson/document.h>

#include <chrono>
#include <cstdio>

namespace formation::billing_credits {
namespace {

constexpr std::size_t kMaxIdLength = 128;
constexpr std::size_t kMaxPayloadBytes = std::size_t{64} * 1024;
// Usage periods are recent; the bounds keep every time representable as a TimePoint.
constexpr int kMinYear = 1970;
constexpr int kMaxYear = 2200;

// The digits at [pos, pos + n) as a number; -1 when any is not a digit.
int digits(std::string_view s, std::size_t pos, std::size_t n) {
  if (pos + n > s.size()) return -1;
  int value = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return -1;
    value = value * 10 + (s[i] - '0');
  }
  return value;
}

Result<std::string> string_field(const rapidjson::Value& object, const char* name,
                                 const std::string& where) {
  auto it = object.FindMember(name);
  if (it == object.MemberEnd()) return Status::invalid(where + name + ": missing");
  if (!it->value.IsString()) return Status::invalid(where + name + ": must be a string");
  return std::string(it->value.GetString(), it->value.GetStringLength());
}

}  // namespace

Result<TimePoint> parse_rfc3339_utc(std::string_view text) {
  const auto bad = [&] {
    return Status::invalid("'" + std::string(text.substr(0, 40)) +
                           "' is not an RFC 3339 UTC time (YYYY-MM-DDTHH:MM:SS[.fff]Z)");
  };
  if (text.size() < 20 || text.size() > 40) return bad();
  const int year = digits(text, 0, 4);
  const int month = digits(text, 5, 2);
  const int day = digits(text, 8, 2);
  const int hour = digits(text, 11, 2);
  const int minute = digits(text, 14, 2);
  const int second = digits(text, 17, 2);
  if (year < 0 || month < 0 || day < 0 || hour < 0 || minute < 0 || second < 0 || text[4] != '-' ||
      text[7] != '-' || (text[10] != 'T' && text[10] != 't') || text[13] != ':' ||
      text[16] != ':' || hour > 23 || minute > 59 || second > 59) {
    return bad();
  }
  // system_clock counts nanoseconds in 64 bits (years 1678 to 2262): a year outside that
  // overflowed the conversion below (found by fuzz_billing_input; kept in its corpus).
  if (year < kMinYear || year > kMaxYear) return bad();
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

std::string format_rfc3339_utc(TimePoint time) {
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

Result<UsageSample> parse_usage_sample(std::string_view json) {
  if (json.size() > kMaxPayloadBytes) {
    return Status::invalid("usage.sample payload is larger than 64 KiB");
  }
  rapidjson::Document doc;
  doc.Parse(json.data(), json.size());
  if (doc.HasParseError()) return Status::invalid("usage.sample payload is not JSON");
  if (!doc.IsObject()) return Status::invalid("usage.sample payload must be a JSON object");
  auto type = string_field(doc, "event_type", "usage.sample: ");
  if (!type.is_ok()) return type.status();
  if (*type != "usage.sample") {
    return Status::invalid("usage.sample: event_type: must be usage.sample");
  }
  UsageSample out;
  auto id = string_field(doc, "instance_id", "usage.sample: ");
  if (!id.is_ok()) return id.status();
  if (id->empty() || id->size() > kMaxIdLength) {
    return Status::invalid("usage.sample: instance_id: must be 1..128 characters");
  }
  out.instance_id = std::move(id).value();
  if (auto user = doc.FindMember("user_id"); user != doc.MemberEnd() && user->value.IsString()) {
    out.user_id = user->value.GetString();
  }
  auto period = doc.FindMember("period");
  if (period == doc.MemberEnd() || !period->value.IsObject()) {
    return Status::invalid("usage.sample: period: must be an object {start, end}");
  }
  const char* names[] = {"start", "end"};
  TimePoint* targets[] = {&out.period.start, &out.period.end};
  for (int i = 0; i < 2; ++i) {
    auto text = string_field(period->value, names[i], "usage.sample: period.");
    if (!text.is_ok()) return text.status();
    auto time = parse_rfc3339_utc(*text);
    if (!time.is_ok()) {
      return Status::invalid(std::string("usage.sample: period.") + names[i] + ": " +
                             time.status().message());
    }
    *targets[i] = *time;
  }
  if (out.period.end <= out.period.start) {
    return Status::invalid("usage.sample: period: end must be after start");
  }
  return out;
}

}  // namespace formation::billing_credits
