#include "settings.hpp"

namespace formation::billing_credits {
namespace {

constexpr const char* kSchema = R"({
  "type": "object",
  "additionalProperties": false,
  "properties": {
    "prices": {
      "type": "object", "additionalProperties": false, "default": {},
      "description": "Micro-credits (1 credit = 1 000 000) per unit of use.",
      "properties": {
        "vcpu_second": {"type": "integer", "minimum": 0, "maximum": 1000000000, "default": 10},
        "memory_gb_second": {"type": "integer", "minimum": 0, "maximum": 1000000000, "default": 2},
        "disk_gb_second": {"type": "integer", "minimum": 0, "maximum": 1000000000, "default": 0},
        "egress_gb": {"type": "integer", "minimum": 0, "maximum": 1000000000000, "default": 10000}
      }
    },
    "plans": {
      "type": "object", "default": {"default": {"max_instances": 10, "max_vcpus": 32}},
      "description": "Limits per plan name (Account.plan); `default` is required.",
      "required": ["default"],
      "additionalProperties": {
        "type": "object", "additionalProperties": false,
        "properties": {
          "max_instances": {"type": "integer", "minimum": 0, "maximum": 1000000},
          "max_vcpus": {"type": "integer", "minimum": 0, "maximum": 100000000}
        }
      }
    },
    "enforce": {"type": "boolean", "default": true,
                "description": "false: usage is still priced and debited, but creates are never refused."},
    "sweep_interval_seconds": {"type": "integer", "minimum": 0, "maximum": 86400, "default": 300,
                               "description": "How often usage records not yet debited are debited; 0: never."},
    "sweep_lookback_hours": {"type": "integer", "minimum": 1, "maximum": 8760, "default": 24,
                             "description": "How far back the sweep looks for usage records."}
  }
})";

const rapidjson::Value* member(const rapidjson::Value& object, const char* name) {
  auto it = object.FindMember(name);
  return it == object.MemberEnd() ? nullptr : &it->value;
}

Status bad(const std::string& pointer, const std::string& what) {
  return Status::invalid(pointer + ": " + what);
}

// Absent -> fallback; present must be an integer in [0, max].
Result<std::int64_t> read_count(const rapidjson::Value& object, const char* name,
                                const std::string& pointer, std::int64_t fallback,
                                std::int64_t max) {
  const auto* value = member(object, name);
  if (value == nullptr) return fallback;
  if (!value->IsInt64() || value->GetInt64() < 0 || value->GetInt64() > max) {
    return bad(pointer, "must be an integer 0.." + std::to_string(max));
  }
  return value->GetInt64();
}

Status read_prices(const rapidjson::Value& parameters, Prices& out) {
  const auto* prices = member(parameters, "prices");
  if (prices == nullptr) return Status::ok();
  if (!prices->IsObject()) return bad("/prices", "must be an object");
  const std::pair<const char*, std::int64_t*> fields[] = {
      {"vcpu_second", &out.vcpu_second},
      {"memory_gb_second", &out.memory_gb_second},
      {"disk_gb_second", &out.disk_gb_second},
      {"egress_gb", &out.egress_gb}};
  for (const auto& [name, target] : fields) {
    auto value =
        read_count(*prices, name, std::string("/prices/") + name, *target, 1'000'000'000'000);
    if (!value.is_ok()) return value.status();
    *target = *value;
  }
  return Status::ok();
}

Status read_plans(const rapidjson::Value& parameters, Settings& out) {
  const auto* plans = member(parameters, "plans");
  if (plans == nullptr) {
    out.plans["default"] = Plan{10, 32};
    return Status::ok();
  }
  if (!plans->IsObject()) return bad("/plans", "must be an object of plan name -> limits");
  for (const auto& entry : plans->GetObject()) {
    const std::string name(entry.name.GetString(), entry.name.GetStringLength());
    const std::string pointer = "/plans/" + name;
    if (!entry.value.IsObject()) return bad(pointer, "must be an object");
    Plan plan;
    for (const char* key : {"max_instances", "max_vcpus"}) {
      if (member(entry.value, key) == nullptr) continue;
      auto value = read_count(entry.value, key, pointer + "/" + key, 0, 100'000'000);
      if (!value.is_ok()) return value.status();
      (std::string_view(key) == "max_instances" ? plan.max_instances : plan.max_vcpus) = *value;
    }
    out.plans[name] = plan;
  }
  if (!out.plans.contains("default")) {
    return bad("/plans", "must define the plan 'default' (accounts without a plan use it)");
  }
  return Status::ok();
}

}  // namespace

const char* parameters_schema() { return kSchema; }

Result<Settings> settings_from(const rapidjson::Value& parameters) {
  if (!parameters.IsObject()) return bad("/", "parameters must be an object");
  Settings out;
  Prices defaults{10, 2, 0, 10000};
  out.prices = defaults;
  if (auto st = read_prices(parameters, out.prices); !st.is_ok()) return st;
  if (auto st = read_plans(parameters, out); !st.is_ok()) return st;
  if (const auto* enforce = member(parameters, "enforce")) {
    if (!enforce->IsBool()) return bad("/enforce", "must be true or false");
    out.enforce = enforce->GetBool();
  }
  auto interval =
      read_count(parameters, "sweep_interval_seconds", "/sweep_interval_seconds", 300, 86400);
  if (!interval.is_ok()) return interval.status();
  out.sweep_interval_seconds = *interval;
  auto lookback = read_count(parameters, "sweep_lookback_hours", "/sweep_lookback_hours", 24, 8760);
  if (!lookback.is_ok()) return lookback.status();
  out.sweep_lookback_hours = *lookback;
  return out;
}

}  // namespace formation::billing_credits
