// The plugin's parameters as typed values (README.md "Parameters").
#pragma once

#include <cstdint>
#include <vector>

#include <rapidjson/document.h>

#include "formation/status.hpp"
#include "thresholds.hpp"

namespace formation::metering_usage {

inline constexpr std::size_t kMaxThresholds = 100;

struct Settings {
  std::int64_t period_seconds = 30;  // one Vmm::all_stats() call per period
  std::vector<Threshold> thresholds;
};

// The JSON Schema of "parameters".
const char* parameters_schema();

// From parameters the host validated (defaults filled); re-checks what it relies on so
// that a caller that skipped validation gets invalid naming the JSON pointer, not a crash.
Result<Settings> settings_from(const rapidjson::Value& parameters);

}  // namespace formation::metering_usage
