#include "settings.hpp"

#include <string>

namespace formation::metering_usage {
namespace {

constexpr std::int64_t kMinPeriod = 1;
constexpr std::int64_t kMaxPeriod = 86400;

constexpr const char* kSchema = R"({
  "type": "object",
  "additionalProperties": false,
  "properties": {
    "period_seconds": {"type": "integer", "minimum": 1, "maximum": 86400, "default": 30,
                       "description": "Length of a metering period: one bulk stats call per period."}
  }
})";

}  // namespace

const char* parameters_schema() { return kSchema; }

Result<Settings> settings_from(const rapidjson::Value& parameters) {
  if (!parameters.IsObject()) return Status::invalid("/: parameters must be an object");
  Settings out;
  for (const auto& member : parameters.GetObject()) {
    const std::string name(member.name.GetString(), member.name.GetStringLength());
    if (name != "period_seconds") {
      return Status::invalid("/" + name + ": unknown parameter (known: period_seconds)");
    }
    const auto& value = member.value;
    if (!value.IsInt64() || value.GetInt64() < kMinPeriod || value.GetInt64() > kMaxPeriod) {
      return Status::invalid("/period_seconds: must be an integer 1..86400");
    }
    out.period_seconds = value.GetInt64();
  }
  return out;
}

}  // namespace formation::metering_usage
