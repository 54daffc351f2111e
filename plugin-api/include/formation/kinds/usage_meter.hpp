// UsageMeter: measures what each instance on this node uses (`metering-usage`). It samples
// every domain in one bulk call (Vmm::all_stats) each period, turns counters into usage
// per period (counter resets and domain restarts handled), stores UsageRecords, and
// publishes `usage.sample` events shaped by schemas/events/usage.schema.json (field names
// are the seed network's usage event).
//
// Error codes:
//   not_found    no such instance
//   unavailable  the Vmm or the state store cannot be reached (retry)
//   unsupported  the Vmm has no bulk statistics
//   internal     anything else
// An instance with no sample yet is not an error: its summary has no last period.
//
// Threading: every method may be called concurrently; sample_now() is serialised by the
// implementation and blocks (hypervisor, store), so it runs on the blocking pool.
//
// Events: publishes `usage.sample` (one per instance per period) and
// `threshold.violation` (when a configured threshold is crossed). Consumes
// `instance.deleted` (forgets the instance: its domain is gone by then, so usage after its
// last metered period, less than one period, is not metered).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "formation/plugin.hpp"
#include "formation/records/common.hpp"
#include "formation/status.hpp"
#include "formation/visibility.hpp"

namespace formation {

// The `metrics` object of the seed's usage event.
struct FORMATION_API UsageMetrics {
  double cpu_seconds = 0;
  double cpu_percent_avg = 0;  // of the allocated vCPUs, 0..100
  double memory_gb = 0;        // resident, average over the period
  double memory_percent = 0;   // of the allocated memory, 0..100
  double storage_gb = 0;
  double network_egress_mb = 0;
  double network_ingress_mb = 0;
  double gpu_seconds = 0;
};

// One `usage.sample` event: one instance over one period.
struct FORMATION_API UsageSample {
  std::string instance_id;
  std::string user_id;  // the owner's address (the seed's field name)
  TimePoint timestamp;  // when it was taken
  UsageMetrics metrics;
  Period period;
};

struct FORMATION_API UsageSummary {
  std::string instance_id;
  std::string owner;
  std::optional<UsageMetrics> last_period;  // nullopt before the first full period
  std::optional<Period> last_period_span;
  UsageMetrics since_creation;  // sums; percentages are averages over the lifetime
  TimePoint since;              // the instance's creation (or first sample)
};

class FORMATION_API UsageMeter : public Plugin {
 public:
  static constexpr PluginKind kKind = PluginKind::usage_meter;

  // REQUIRED. Takes one sample of every running instance on this node now (one bulk stats
  // call), stores the period's UsageRecords, publishes one `usage.sample` per instance
  // and returns them. The plugin's own timer calls the same code every period.
  virtual Result<std::vector<UsageSample>> sample_now() = 0;

  // REQUIRED. Usage of one instance: the last period and since creation.
  virtual Result<UsageSummary> current_usage(const std::string& instance_id) = 0;

  // REQUIRED. current_usage() of every instance `address` owns, ordered by instance id;
  // empty when it owns none.
  virtual Result<std::vector<UsageSummary>> usage_for_owner(const std::string& address) = 0;
};

}  // namespace formation
