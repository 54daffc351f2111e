#include "usage_math.hpp"

#include <algorithm>
#include <chrono>

namespace formation::metering_usage {
namespace {

constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;
constexpr double kKiBPerGiB = 1024.0 * 1024.0;
// Network volumes are reported in decimal megabytes, as the seed's usage event did.
constexpr double kMB = 1000.0 * 1000.0;

double percent(double part, double whole) {
  if (whole <= 0) return 0;
  return std::clamp(part / whole * 100.0, 0.0, 100.0);
}

}  // namespace

std::uint64_t counter_delta(std::uint64_t previous, std::uint64_t current) {
  return current >= previous ? current - previous : current;
}

PeriodUsage usage_between(const DomainStats& previous, const DomainStats& current) {
  PeriodUsage out;
  out.instance_id = current.instance_id;
  out.period = {previous.sampled_at, current.sampled_at};
  const double seconds =
      std::chrono::duration<double>(current.sampled_at - previous.sampled_at).count();
  out.vcpus = current.vcpus;
  out.memory_mb = current.memory_kb_actual / 1024;

  auto& m = out.metrics;
  m.cpu_seconds =
      static_cast<double>(counter_delta(previous.cpu_time_ns, current.cpu_time_ns)) / 1e9;
  m.cpu_percent_avg = percent(m.cpu_seconds, static_cast<double>(current.vcpus) * seconds);
  // A guest without a balloon driver does not report what it uses: it then holds all it
  // was given, which is also what it is billed for.
  const std::int64_t used_kb =
      current.memory_kb_used > 0 ? current.memory_kb_used : current.memory_kb_actual;
  m.memory_gb = static_cast<double>(used_kb) / kKiBPerGiB;
  m.memory_percent =
      percent(static_cast<double>(used_kb), static_cast<double>(current.memory_kb_actual));
  m.storage_gb = static_cast<double>(current.disk_capacity_bytes) / kGiB;
  const auto rx = counter_delta(previous.net_rx_bytes, current.net_rx_bytes);
  const auto tx = counter_delta(previous.net_tx_bytes, current.net_tx_bytes);
  // Seen from the guest: what its interfaces sent left it (egress).
  m.network_ingress_mb = static_cast<double>(rx) / kMB;
  m.network_egress_mb = static_cast<double>(tx) / kMB;
  m.gpu_seconds = 0;  // DomainStats has no GPU counter yet
  out.memory_gb_seconds = m.memory_gb * seconds;
  out.ingress_bytes = static_cast<std::int64_t>(rx);
  out.egress_bytes = static_cast<std::int64_t>(tx);
  return out;
}

std::vector<PeriodUsage> UsageTracker::periods(const std::vector<DomainStats>& samples) const {
  std::vector<PeriodUsage> out;
  for (const auto& sample : samples) {
    auto previous = baselines_.find(sample.instance_id);
    if (previous != baselines_.end() && sample.sampled_at > previous->second.sampled_at) {
      out.push_back(usage_between(previous->second, sample));
    }
  }
  return out;
}

void UsageTracker::rebaseline(const std::vector<DomainStats>& samples) {
  std::map<std::string, DomainStats, std::less<>> next;
  for (const auto& sample : samples) next[sample.instance_id] = sample;
  baselines_ = std::move(next);
}

std::vector<PeriodUsage> UsageTracker::update(const std::vector<DomainStats>& samples) {
  auto out = periods(samples);
  rebaseline(samples);
  return out;
}

}  // namespace formation::metering_usage

namespace formation::metering_usage {

UsageMetrics metrics_of(const UsageRecord& record) {
  UsageMetrics m;
  const double seconds =
      std::chrono::duration<double>(record.period.end - record.period.start).count();
  m.cpu_seconds = record.cpu_seconds;
  m.cpu_percent_avg = percent(record.cpu_seconds, static_cast<double>(record.vcpus) * seconds);
  m.memory_gb = seconds > 0 ? record.memory_gb_seconds / seconds : 0;
  m.memory_percent = percent(m.memory_gb * 1024.0, static_cast<double>(record.memory_mb));
  m.storage_gb = record.storage_gb;
  m.network_ingress_mb = static_cast<double>(record.network_ingress_bytes) / kMB;
  m.network_egress_mb = static_cast<double>(record.network_egress_bytes) / kMB;
  m.gpu_seconds = record.gpu_seconds;
  return m;
}

}  // namespace formation::metering_usage
