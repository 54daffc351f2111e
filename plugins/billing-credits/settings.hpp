// The plugin's parameters as typed values: the price table, the plans and the switches.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include <rapidjson/document.h>

#include "formation/status.hpp"

namespace formation::billing_credits {

// Micro-credits per unit. Integers so that an operator's table is exact; fractions of a
// micro-credit arise only in the product and are rounded once per record (pricing.hpp).
struct Prices {
  std::int64_t vcpu_second = 0;
  std::int64_t memory_gb_second = 0;
  std::int64_t disk_gb_second = 0;
  std::int64_t egress_gb = 0;
};

// Absent limit = unlimited.
struct Plan {
  std::optional<std::int64_t> max_instances;
  std::optional<std::int64_t> max_vcpus;
};

struct Settings {
  Prices prices;
  std::map<std::string, Plan, std::less<>> plans;  // always holds "default"
  bool enforce = true;
  std::int64_t sweep_interval_seconds = 300;  // 0: no sweep
  std::int64_t sweep_lookback_hours = 24;
};

// The JSON Schema of "parameters" (README.md "Parameters").
const char* parameters_schema();

// From parameters the host validated against parameters_schema() (defaults filled);
// re-checks what it relies on, so that a caller that skipped validation gets invalid naming
// the JSON pointer rather than a crash.
Result<Settings> settings_from(const rapidjson::Value& parameters);

}  // namespace formation::billing_credits
