// The `usage.sample` event payload, exactly as schemas/events/usage.schema.json shapes it
// (billing-credits and the webhook deliverer parse it).
#pragma once

#include <string>

#include "formation/kinds/usage_meter.hpp"

namespace formation::metering_usage {

inline constexpr const char* kUsageSampleType = "usage.sample";
inline constexpr const char* kUsageSampleVersion = "1";

// "2026-12-07T07:20:02.123Z": millisecond precision, the key precision of usage periods.
std::string format_rfc3339_utc(TimePoint time);

std::string usage_sample_json(const UsageSample& sample);

}  // namespace formation::metering_usage
