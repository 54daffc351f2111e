#include "settings.hpp"

#include <set>
#include <string>

namespace formation::metering_usage {
namespace {

constexpr std::int64_t kMinPeriod = 1;
constexpr std::int64_t kMaxPeriod = 86400;

std::string make_schema() {
  return std::string(R"({
  "type": "object",
  "additionalProperties": false,
  "properties": {
    "period_seconds": {"type": "integer", "minimum": 1, "maximum": 86400, "default": 30,
                       "description": "Length of a metering period: one bulk stats call per period."},
    "thresholds": {"type": "array", "maxItems": )") +
         std::to_string(kMaxThresholds) + R"(, "default": [], "items": )" + threshold_schema() +
         R"(}
  }
})";
}

}  // namespace

const char* parameters_schema() {
  static const std::string schema = make_schema();
  return schema.c_str();
}

Result<Settings> settings_from(const rapidjson::Value& parameters) {
  if (!parameters.IsObject()) return Status::invalid("/: parameters must be an object");
  Settings out;
  for (const auto& member : parameters.GetObject()) {
    const std::string name(member.name.GetString(), member.name.GetStringLength());
    const auto& value = member.value;
    if (name == "period_seconds") {
      if (!value.IsInt64() || value.GetInt64() < kMinPeriod || value.GetInt64() > kMaxPeriod) {
        return Status::invalid("/period_seconds: must be an integer 1..86400");
      }
      out.period_seconds = value.GetInt64();
    } else if (name == "thresholds") {
      if (!value.IsArray()) return Status::invalid("/thresholds: must be an array");
      if (value.Size() > kMaxThresholds) {
        return Status::invalid("/thresholds: at most " + std::to_string(kMaxThresholds));
      }
      std::set<std::string> names;
      for (rapidjson::SizeType i = 0; i < value.Size(); ++i) {
        const std::string where = "/thresholds/" + std::to_string(i);
        auto threshold = threshold_from(value[i], where);
        if (!threshold.is_ok()) return threshold.status();
        if (!names.insert(threshold->name).second) {
          return Status::invalid(where + "/name: '" + threshold->name + "' is used twice");
        }
        out.thresholds.push_back(std::move(threshold).value());
      }
    } else {
      return Status::invalid("/" + name +
                             ": unknown parameter (known: period_seconds, thresholds)");
    }
  }
  return out;
}

}  // namespace formation::metering_usage
