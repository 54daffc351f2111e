// Turns the cumulative counters of successive Vmm::all_stats() calls into usage per
// period. Pure (no hypervisor, no store) so that resets and restarts are tested with
// made-up DomainStats sequences.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "formation/kinds/usage_meter.hpp"
#include "formation/kinds/vmm.hpp"
#include "formation/records/money.hpp"

namespace formation::metering_usage {

// One instance over one period [previous sample, this sample).
struct PeriodUsage {
  std::string instance_id;
  Period period;
  UsageMetrics metrics;
  std::int64_t vcpus = 0;
  std::int64_t memory_mb = 0;  // allocated (balloon size)
  double memory_gb_seconds = 0;
  std::int64_t ingress_bytes = 0;
  std::int64_t egress_bytes = 0;
};

// How far a counter moved. A counter lower than before was reset (the domain restarted,
// or the hypervisor re-created its stats): it counted up from zero since, so its current
// value is the delta.
std::uint64_t counter_delta(std::uint64_t previous, std::uint64_t current);

// The usage between two samples of the same domain; `elapsed` must be positive.
PeriodUsage usage_between(const DomainStats& previous, const DomainStats& current);

// Remembers the last sample of each domain. Not thread-safe: the plugin serialises ticks.
class UsageTracker {
 public:
  // The usage of every domain seen in the previous call too. A domain seen for the first
  // time (or again after it was missing: it was shut off, its counters restart) only sets
  // its baseline; a domain missing now is forgotten. A sample not later than the baseline
  // (the clock went back) also only re-baselines, so no period has zero or negative length.
  std::vector<PeriodUsage> update(const std::vector<DomainStats>& samples);
  // update() in two steps, for a caller that moves the baselines only once the periods
  // are stored: the periods since the baselines, then the samples as the new baselines.
  [[nodiscard]] std::vector<PeriodUsage> periods(const std::vector<DomainStats>& samples) const;
  void rebaseline(const std::vector<DomainStats>& samples);

  void forget(const std::string& instance_id) { baselines_.erase(instance_id); }
  [[nodiscard]] std::size_t tracked() const { return baselines_.size(); }

 private:
  std::map<std::string, DomainStats, std::less<>> baselines_;
};

}  // namespace formation::metering_usage

namespace formation::metering_usage {

// A stored record (one period, or a total of many) read back as the event's metrics:
// averages are over the record's span.
UsageMetrics metrics_of(const UsageRecord& record);

}  // namespace formation::metering_usage
