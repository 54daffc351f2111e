// The `usage.sample` event's payload (schemas/events/usage.schema.json), reduced to what a
// debit needs: which record to look up in the state store.
#pragma once

#include <string>
#include <string_view>

#include "formation/records/common.hpp"
#include "formation/status.hpp"

namespace formation::billing_credits {

struct UsageSample {
  std::string instance_id;
  std::string user_id;  // the owner address, as the metering plugin saw it
  Period period;
};

// invalid, naming the field, for anything that is not a usage.sample object with
// instance_id and period{start, end} as RFC 3339 UTC times.
Result<UsageSample> parse_usage_sample(std::string_view json);

// "2026-12-07T07:00:00Z", "...T07:00:00.250Z", "...+00:00": a UTC instant with millisecond
// precision. invalid for anything else (other offsets included: the event is UTC).
Result<TimePoint> parse_rfc3339_utc(std::string_view text);

// "2026-12-07T07:00:00.250Z" (always milliseconds), what this plugin's events carry.
std::string format_rfc3339_utc(TimePoint time);

}  // namespace formation::billing_credits
