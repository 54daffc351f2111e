// The metering-usage plugin: one Vmm::all_stats() per period, counters turned into usage
// (usage_math.hpp), UsageRecords stored, `usage.sample` published, per-instance gauges.
#pragma once

#include <atomic>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "formation/kinds/state_store.hpp"
#include "formation/kinds/usage_meter.hpp"
#include "formation/kinds/vmm.hpp"
#include "settings.hpp"
#include "thresholds.hpp"
#include "usage_math.hpp"

namespace formation::metering_usage {

class MeteringUsagePlugin final : public UsageMeter {
 public:
  MeteringUsagePlugin(HostServices& host, const Settings& settings);

  Status start() override;
  void stop() override;
  [[nodiscard]] PluginHealth health() const override;

  Result<std::vector<UsageSample>> sample_now() override;

  // Publishes `usage.sample` again for the latest stored period of every instance running
  // here. A period is stored before its event is published and the event reaches the
  // webhook outbox after that, so a formationd killed in between (or stopped while the
  // write was queued) would never deliver it; republishing is harmless, as deliveries and
  // debits are keyed on instance and period. The timer does it once, at the first tick.
  // Returns how many events it published.
  Result<std::size_t> republish_latest();
  Result<UsageSummary> current_usage(const std::string& instance_id) override;
  Result<std::vector<UsageSummary>> usage_for_owner(const std::string& address) override;

 private:
  // Stores one period and publishes its event; nullopt when the domain is not one of
  // our instances (no owner to bill).
  Result<std::optional<UsageSample>> record(Transaction& tx, const PeriodUsage& usage,
                                            TimePoint now);
  void export_metrics(const UsageSample& sample);
  void publish(const char* type, std::string payload);
  std::vector<Threshold> tenant_thresholds(Transaction& tx);
  Result<UsageSummary> summary(Transaction& tx, const Instance& instance);

  HostServices& host_;
  Settings settings_;
  Vmm* vmm_ = nullptr;
  StateStore* store_ = nullptr;
  std::mutex tick_mutex_;  // sample_now() is serialised: the tracker is not thread-safe
  UsageTracker tracker_;
  ThresholdWatch thresholds_;  // guarded by tick_mutex_ too
  std::optional<SubscriptionId> deleted_subscription_;
  std::optional<TimerId> timer_;
  std::atomic<bool> last_tick_failed_{false};
  bool republished_ = false;  // only the timer's thread reads and writes it
};

}  // namespace formation::metering_usage
