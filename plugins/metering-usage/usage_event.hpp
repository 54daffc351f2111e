// The `usage.sample` event payload, exactly as schemas/events/usage.schema.json shapes it
// (billing-credits and the webhook deliverer parse it).
#pragma once

#include <string>

#include "formation/kinds/usage_meter.hpp"
#include "formation/rfc3339.hpp"

namespace formation::metering_usage {

inline constexpr const char* kUsageSampleType = "usage.sample";
inline constexpr const char* kUsageSampleVersion = "1";

std::string usage_sample_json(const UsageSample& sample);

}  // namespace formation::metering_usage
