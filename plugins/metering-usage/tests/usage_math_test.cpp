// Counters -> usage per period, with the sequences a real hypervisor produces: steady
// counting, a counter reset, a domain that disappears and comes back, a clock step back.
#include <gtest/gtest.h>

#include <chrono>

#include "usage_math.hpp"

namespace formation::metering_usage {
namespace {

using std::chrono::seconds;

const TimePoint kT0 = TimePoint(seconds(1'800'000'000));

DomainStats stats(const std::string& id, int at_s, std::uint64_t cpu_ns, std::uint64_t rx,
                  std::uint64_t tx) {
  DomainStats s;
  s.instance_id = id;
  s.cpu_time_ns = cpu_ns;
  s.vcpus = 2;
  s.memory_kb_actual = std::int64_t{2} * 1024 * 1024;  // 2 GiB
  s.memory_kb_used = std::int64_t{1024} * 1024;        // 1 GiB
  s.disk_capacity_bytes = 10ULL * 1024 * 1024 * 1024;
  s.net_rx_bytes = rx;
  s.net_tx_bytes = tx;
  s.sampled_at = kT0 + seconds(at_s);
  return s;
}

TEST(UsageTracker, FirstSightingOnlyRecordsTheBaseline) {
  UsageTracker tracker;
  EXPECT_TRUE(tracker.update({stats("a", 0, 5'000'000'000, 0, 0)}).empty());
  EXPECT_EQ(tracker.tracked(), 1U);
}

TEST(UsageTracker, SteadyCountersGiveThePeriodsUsage) {
  UsageTracker tracker;
  tracker.update({stats("a", 0, 1'000'000'000, 1'000'000, 500'000)});
  // 30 s later: 15 CPU seconds on 2 vCPUs = 25 %; 3 MB in, 2 MB out.
  auto out = tracker.update({stats("a", 30, 16'000'000'000, 4'000'000, 2'500'000)});
  ASSERT_EQ(out.size(), 1U);
  const auto& u = out[0];
  EXPECT_EQ(u.instance_id, "a");
  EXPECT_EQ(u.period.start, kT0);
  EXPECT_EQ(u.period.end, kT0 + seconds(30));
  EXPECT_DOUBLE_EQ(u.metrics.cpu_seconds, 15.0);
  EXPECT_DOUBLE_EQ(u.metrics.cpu_percent_avg, 25.0);
  EXPECT_DOUBLE_EQ(u.metrics.memory_gb, 1.0);
  EXPECT_DOUBLE_EQ(u.metrics.memory_percent, 50.0);
  EXPECT_DOUBLE_EQ(u.metrics.storage_gb, 10.0);
  EXPECT_DOUBLE_EQ(u.metrics.network_ingress_mb, 3.0);
  EXPECT_DOUBLE_EQ(u.metrics.network_egress_mb, 2.0);
  EXPECT_DOUBLE_EQ(u.metrics.gpu_seconds, 0.0);
  EXPECT_DOUBLE_EQ(u.memory_gb_seconds, 30.0);
  EXPECT_EQ(u.vcpus, 2);
  EXPECT_EQ(u.memory_mb, 2048);
  EXPECT_EQ(u.ingress_bytes, 3'000'000);
}

TEST(UsageTracker, ACounterResetCountsItsCurrentValue) {
  UsageTracker tracker;
  tracker.update({stats("a", 0, 90'000'000'000, 9'000'000, 9'000'000)});
  // The domain restarted between samples: counters start again from zero.
  auto out = tracker.update({stats("a", 30, 3'000'000'000, 1'000'000, 2'000'000)});
  ASSERT_EQ(out.size(), 1U);
  EXPECT_DOUBLE_EQ(out[0].metrics.cpu_seconds, 3.0);
  EXPECT_DOUBLE_EQ(out[0].metrics.network_ingress_mb, 1.0);
  EXPECT_DOUBLE_EQ(out[0].metrics.network_egress_mb, 2.0);
}

TEST(UsageTracker, ADomainMissingForAPeriodStartsFromANewBaseline) {
  UsageTracker tracker;
  tracker.update({stats("a", 0, 1'000'000'000, 0, 0), stats("b", 0, 0, 0, 0)});
  // "a" was shut off: it is forgotten, and "b" goes on.
  auto out = tracker.update({stats("b", 30, 1'000'000'000, 0, 0)});
  ASSERT_EQ(out.size(), 1U);
  EXPECT_EQ(out[0].instance_id, "b");
  EXPECT_EQ(tracker.tracked(), 1U);
  // Back after a restart: no period spans the time it was off.
  EXPECT_EQ(tracker.update({stats("a", 60, 2'000'000'000, 0, 0), stats("b", 60, 2, 0, 0)}).size(),
            1U);
  EXPECT_EQ(tracker.update({stats("a", 90, 3'000'000'000, 0, 0)}).size(), 1U);
}

TEST(UsageTracker, AClockStepBackOnlyRebaselines) {
  UsageTracker tracker;
  tracker.update({stats("a", 30, 1'000'000'000, 0, 0)});
  EXPECT_TRUE(tracker.update({stats("a", 10, 2'000'000'000, 0, 0)}).empty());
  auto out = tracker.update({stats("a", 40, 4'000'000'000, 0, 0)});
  ASSERT_EQ(out.size(), 1U);
  EXPECT_DOUBLE_EQ(out[0].metrics.cpu_seconds, 2.0);
}

TEST(UsageTracker, PercentagesStayWithinZeroAndHundred) {
  UsageTracker tracker;
  auto first = stats("a", 0, 0, 0, 0);
  tracker.update({first});
  // More CPU time than the vCPUs could give (vCPUs were hot-added mid-period).
  auto busy = stats("a", 10, 100'000'000'000, 0, 0);
  busy.memory_kb_used = 0;  // no balloon driver: all it was given is in use
  auto out = tracker.update({busy});
  ASSERT_EQ(out.size(), 1U);
  EXPECT_DOUBLE_EQ(out[0].metrics.cpu_percent_avg, 100.0);
  EXPECT_DOUBLE_EQ(out[0].metrics.memory_gb, 2.0);
  EXPECT_DOUBLE_EQ(out[0].metrics.memory_percent, 100.0);
}

TEST(UsageTracker, ForgetDropsTheBaseline) {
  UsageTracker tracker;
  tracker.update({stats("a", 0, 0, 0, 0)});
  tracker.forget("a");
  EXPECT_TRUE(tracker.update({stats("a", 30, 1, 0, 0)}).empty());
}

TEST(MetricsOf, AStoredRecordReadsBackAsTheEventsMetrics) {
  UsageRecord record;
  record.period = {kT0, kT0 + seconds(60)};
  record.vcpus = 2;
  record.memory_mb = 2048;
  record.cpu_seconds = 30;
  record.memory_gb_seconds = 60;
  record.storage_gb = 10;
  record.network_ingress_bytes = 5'000'000;
  record.network_egress_bytes = 1'000'000;
  const auto m = metrics_of(record);
  EXPECT_DOUBLE_EQ(m.cpu_percent_avg, 25.0);
  EXPECT_DOUBLE_EQ(m.memory_gb, 1.0);
  EXPECT_DOUBLE_EQ(m.memory_percent, 50.0);
  EXPECT_DOUBLE_EQ(m.network_ingress_mb, 5.0);
  EXPECT_DOUBLE_EQ(m.network_egress_mb, 1.0);
}

}  // namespace
}  // namespace formation::metering_usage
