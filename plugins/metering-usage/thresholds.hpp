// Thresholds (README.md "Thresholds"): a limit on one resource of one period, for one
// instance, for all of one account's instances together, or for every instance on the node.
// A threshold raises one `threshold.violation` when usage crosses it and raises again only
// after usage went back under it, so a busy instance is one alert, not one per period.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <rapidjson/document.h>

#include "formation/kinds/usage_meter.hpp"
#include "formation/records/money.hpp"
#include "formation/status.hpp"

namespace formation::metering_usage {

enum class ThresholdResource { cpu, memory, storage, network_egress, network_ingress, gpu };
enum class ThresholdKind { absolute, percent };

struct Threshold {
  std::string name;
  ThresholdResource resource = ThresholdResource::cpu;
  ThresholdKind kind = ThresholdKind::absolute;
  double limit = 0;
  std::optional<std::string> instance_id;  // only this instance
  std::optional<std::string> account;      // all of this owner's instances together
  // A tenant's threshold (POST /v1/thresholds): its id, and the tenant its events go to
  // (instead of the instance's owner; they differ for a grantee's threshold).
  std::optional<std::string> id;
  std::optional<std::string> notify;
};

// The JSON Schema of one threshold, also embedded in the plugin's parameters schema.
const char* threshold_schema();

// One threshold from parameters; invalid naming the JSON pointer (`where`, e.g.
// "/thresholds/2") and the field.
Result<Threshold> threshold_from(const rapidjson::Value& value, const std::string& where);

// The usage.sample metric a threshold compares: "cpu_seconds" for an absolute cpu limit,
// "cpu_percent_avg" for a percent one, ...
const char* metric_name(const Threshold& threshold);

// A tenant's stored threshold as the watch compares it: an instance threshold, or the sum
// over the owner's instances; events go to the owner. invalid (naming the threshold) for a
// record the store kept but no schema would accept.
Result<Threshold> threshold_from(const UsageThreshold& stored);

struct Violation {
  Threshold threshold;
  std::string user_id;                     // the owner (the account for account thresholds)
  std::optional<std::string> instance_id;  // absent for an account threshold
  double value = 0;                        // what was measured, in the metric's unit
  Period period;
};

// Compares one tick's samples with the thresholds and remembers which are over, so that
// only crossings are reported. Not thread-safe (the meter's tick mutex guards it).
class ThresholdWatch {
 public:
  explicit ThresholdWatch(std::vector<Threshold> configured);

  // `tenants`: the tenants' thresholds, read from the store this tick. What a threshold
  // that is gone remembered is dropped.
  std::vector<Violation> check(const std::vector<UsageSample>& samples,
                               const std::vector<Threshold>& tenants = {});
  // A deleted instance's state goes, so a re-used id starts under its thresholds.
  void forget(const std::string& instance_id);

  [[nodiscard]] const std::vector<Threshold>& configured() const { return configured_; }

 private:
  void check_one(const Threshold& t, const std::vector<UsageSample>& samples,
                 const std::set<std::string>& sampled,
                 std::set<std::pair<std::string, std::string>>& over,
                 std::vector<Violation>& out) const;

  std::vector<Threshold> configured_;
  // (threshold key, instance or account) that were over at the last check.
  std::set<std::pair<std::string, std::string>> over_;
};

// The `threshold.violation` payload, shaped by schemas/events/threshold.schema.json.
inline constexpr const char* kThresholdViolationType = "threshold.violation";
std::string threshold_violation_json(const Violation& violation, TimePoint timestamp);

}  // namespace formation::metering_usage
