// The plugin's parameters as typed values (README.md "Parameters").
#pragma once

#include <cstdint>

#include <rapidjson/document.h>

#include "formation/status.hpp"

namespace formation::metering_usage {

struct Settings {
  std::int64_t period_seconds = 30;  // one Vmm::all_stats() call per period
};

// The JSON Schema of "parameters".
const char* parameters_schema();

// From parameters the host validated (defaults filled); re-checks what it relies on so
// that a caller that skipped validation gets invalid naming the JSON pointer, not a crash.
Result<Settings> settings_from(const rapidjson::Value& parameters);

}  // namespace formation::metering_usage
