#include "metering_usage.hpp"

#include <rapidjson/document.h>

#include <chrono>
#include <utility>

#include "usage_event.hpp"

namespace formation::metering_usage {

MeteringUsagePlugin::MeteringUsagePlugin(HostServices& host, const Settings& settings)
    : host_(host), settings_(settings), thresholds_(settings_.thresholds) {}

Status MeteringUsagePlugin::start() {
  vmm_ = host_.find<Vmm>();
  store_ = host_.find<StateStore>();
  if (vmm_ == nullptr)
    return Status::unavailable("metering-usage needs a vmm plugin (vmm-libvirt)");
  if (store_ == nullptr) {
    return Status::unavailable("metering-usage needs a state store plugin (state-sqlite)");
  }
  // A deleted instance's domain is gone: forgetting its baseline keeps a re-used id from
  // being metered against the old counters. The handler must not block; the tracker is
  // guarded by the tick mutex, so the work goes to the pool.
  deleted_subscription_ = host_.events().subscribe("instance.deleted", [this](const Event& event) {
    rapidjson::Document doc;
    doc.Parse(event.payload_json.c_str());
    if (doc.HasParseError() || !doc.IsObject()) return;
    auto id = doc.FindMember("instance_id");
    if (id == doc.MemberEnd() || !id->value.IsString()) id = doc.FindMember("id");
    if (id == doc.MemberEnd() || !id->value.IsString()) return;
    host_.blocking_pool().post([this, instance = std::string(id->value.GetString())] {
      const std::scoped_lock lock(tick_mutex_);
      tracker_.forget(instance);
      thresholds_.forget(instance);
    });
  });
  // The first tick comes one period after start, so `formationd --list-routes` (which
  // starts the plugins and exits) never samples.
  timer_ = host_.timers().every(std::chrono::seconds(settings_.period_seconds), [this] {
    if (!republished_) {
      auto republished = republish_latest();
      republished_ = republished.is_ok();
      if (!republished.is_ok()) {
        host_.logger()->warn("republishing the last usage periods failed (retried next tick): {}",
                             republished.status().to_string());
      }
    }
    auto samples = sample_now();
    last_tick_failed_ = !samples.is_ok();
    if (!samples.is_ok()) {
      host_.logger()->warn("usage sampling failed (the next period retries): {}",
                           samples.status().to_string());
    }
  });
  return Status::ok();
}

void MeteringUsagePlugin::stop() {
  if (timer_) host_.timers().cancel(*timer_);
  if (deleted_subscription_) host_.events().unsubscribe(*deleted_subscription_);
  timer_.reset();
  deleted_subscription_.reset();
}

PluginHealth MeteringUsagePlugin::health() const {
  if (last_tick_failed_) return {HealthState::degraded, "the last usage sample failed"};
  return {};
}

Result<std::vector<UsageSample>> MeteringUsagePlugin::sample_now() {
  if (vmm_ == nullptr || store_ == nullptr) {
    return Status::unavailable("metering-usage is not started");
  }
  const std::scoped_lock lock(tick_mutex_);
  auto stats = vmm_->all_stats();
  if (!stats.is_ok()) return stats.status();
  // The baselines move only with a commit: when the store fails, the next tick measures
  // from the old baselines, so its one longer period holds this one's usage too.
  const auto periods = tracker_.periods(*stats);
  std::vector<UsageSample> out;
  if (periods.empty()) {
    tracker_.rebaseline(*stats);
    return out;
  }
  auto tx = store_->begin();
  if (!tx.is_ok()) return tx.status();
  const auto now = std::chrono::system_clock::now();
  for (const auto& usage : periods) {
    auto sample = record(**tx, usage, now);
    if (!sample.is_ok()) return sample.status();
    if (*sample) out.push_back(std::move(**sample));
  }
  auto tenants = tenant_thresholds(**tx);
  if (auto st = (*tx)->commit(); !st.is_ok()) return st;
  tracker_.rebaseline(*stats);
  // Published after the commit, so that a consumer (billing) finds the record it names.
  for (const auto& sample : out) {
    publish(kUsageSampleType, usage_sample_json(sample));
    export_metrics(sample);
  }
  for (const auto& violation : thresholds_.check(out, tenants)) {
    publish(kThresholdViolationType, threshold_violation_json(violation, now));
  }
  return out;
}

// When the store cannot list them, this tick checks the configured thresholds only (a
// tenant's that is still crossed is raised again next tick); a stored one no schema
// accepts is skipped, loudly, rather than stopping metering.
std::vector<Threshold> MeteringUsagePlugin::tenant_thresholds(Transaction& tx) {
  std::vector<Threshold> out;
  PageRequest page{.limit = 100, .page_token = {}};
  while (true) {
    auto listed = tx.thresholds().list(std::nullopt, page);
    if (!listed.is_ok()) {
      host_.logger()->warn("reading tenants' thresholds failed (checked next tick): {}",
                           listed.status().to_string());
      return out;
    }
    for (const auto& stored : listed->items) {
      auto t = threshold_from(stored);
      if (t.is_ok()) {
        out.push_back(std::move(t).value());
      } else {
        host_.logger()->warn("skipping a stored threshold: {}", t.status().message());
      }
    }
    if (listed->last()) return out;
    page.page_token = listed->next_page_token;
  }
}

void MeteringUsagePlugin::publish(const char* type, std::string payload) {
  host_.events().publish(
      Event{.type = type,
            .payload_json = std::move(payload),
            .source = std::string(host_.plugin_name()) + "/" + std::string(host_.instance_name())});
}

Result<std::size_t> MeteringUsagePlugin::republish_latest() {
  if (vmm_ == nullptr || store_ == nullptr) {
    return Status::unavailable("metering-usage is not started");
  }
  const std::scoped_lock lock(tick_mutex_);
  auto stats = vmm_->all_stats();
  if (!stats.is_ok()) return stats.status();
  std::vector<UsageSample> latest;
  {
    auto tx = store_->begin();
    if (!tx.is_ok()) return tx.status();
    for (const auto& domain : *stats) {
      auto record = (*tx)->usage().latest(domain.instance_id);
      if (!record.is_ok()) return record.status();
      if (!*record || (*record)->owner.empty()) continue;
      latest.push_back(UsageSample{.instance_id = (*record)->instance_id,
                                   .user_id = (*record)->owner,
                                   .timestamp = std::chrono::system_clock::now(),
                                   .metrics = metrics_of(**record),
                                   .period = (*record)->period});
    }
  }
  for (const auto& sample : latest) {
    publish(kUsageSampleType, usage_sample_json(sample));
  }
  return latest.size();
}

Result<std::optional<UsageSample>> MeteringUsagePlugin::record(Transaction& tx,
                                                               const PeriodUsage& usage,
                                                               TimePoint now) {
  auto instance = tx.instances().get(usage.instance_id);
  if (!instance.is_ok()) {
    if (instance.status().code() == StatusCode::not_found) {
      return std::optional<UsageSample>{};  // a domain the host did not create
    }
    return instance.status();
  }
  UsageRecord rec;
  rec.instance_id = usage.instance_id;
  rec.owner = instance->owner;
  rec.period = usage.period;
  rec.vcpus = usage.vcpus;
  rec.memory_mb = usage.memory_mb;
  rec.cpu_seconds = usage.metrics.cpu_seconds;
  rec.memory_gb_seconds = usage.memory_gb_seconds;
  rec.storage_gb = usage.metrics.storage_gb;
  rec.network_ingress_bytes = usage.ingress_bytes;
  rec.network_egress_bytes = usage.egress_bytes;
  rec.gpu_seconds = usage.metrics.gpu_seconds;
  rec.created_at = now;
  // false = this period was stored before (a restart repeated it): still announced, the
  // consumers are idempotent on (instance, period.start) too.
  if (auto added = tx.usage().add(rec); !added.is_ok()) return added.status();
  return std::optional<UsageSample>{UsageSample{.instance_id = usage.instance_id,
                                                .user_id = instance->owner,
                                                .timestamp = now,
                                                .metrics = usage.metrics,
                                                .period = usage.period}};
}

void MeteringUsagePlugin::export_metrics(const UsageSample& sample) {
  auto& metrics = host_.metrics();
  const MetricLabels labels = {{"instance_id", sample.instance_id}};
  metrics.counter("formation_usage_cpu_seconds_total", "CPU seconds used by the instance", labels)
      .inc(sample.metrics.cpu_seconds);
  metrics
      .counter("formation_usage_network_egress_megabytes_total",
               "MB the instance sent (decimal megabytes)", labels)
      .inc(sample.metrics.network_egress_mb);
  metrics
      .counter("formation_usage_network_ingress_megabytes_total",
               "MB the instance received (decimal megabytes)", labels)
      .inc(sample.metrics.network_ingress_mb);
  metrics
      .gauge("formation_usage_cpu_percent", "CPU use over the last period, % of allocated vCPUs",
             labels)
      .set(sample.metrics.cpu_percent_avg);
  metrics.gauge("formation_usage_memory_gigabytes", "Memory in use, GiB", labels)
      .set(sample.metrics.memory_gb);
  metrics.gauge("formation_usage_storage_gigabytes", "Disk allocated, GiB", labels)
      .set(sample.metrics.storage_gb);
}

Result<UsageSummary> MeteringUsagePlugin::summary(Transaction& tx, const Instance& instance) {
  UsageSummary out;
  out.instance_id = instance.id;
  out.owner = instance.owner;
  out.since = instance.created_at;
  auto latest = tx.usage().latest(instance.id);
  if (!latest.is_ok()) return latest.status();
  if (*latest) {
    out.last_period = metrics_of(**latest);
    out.last_period_span = (*latest)->period;
  }
  UsageFilter filter;
  filter.instance_id = instance.id;
  auto total = tx.usage().total(filter);
  if (!total.is_ok()) return total.status();
  if (*total) out.since_creation = metrics_of(**total);
  return out;
}

Result<UsageSummary> MeteringUsagePlugin::current_usage(const std::string& instance_id) {
  if (store_ == nullptr) return Status::unavailable("metering-usage is not started");
  auto tx = store_->begin();
  if (!tx.is_ok()) return tx.status();
  auto instance = (*tx)->instances().get(instance_id);
  if (!instance.is_ok()) return instance.status();
  return summary(**tx, *instance);
}

Result<std::vector<UsageSummary>> MeteringUsagePlugin::usage_for_owner(const std::string& address) {
  if (store_ == nullptr) return Status::unavailable("metering-usage is not started");
  auto tx = store_->begin();
  if (!tx.is_ok()) return tx.status();
  std::vector<UsageSummary> out;
  InstanceFilter filter;
  filter.owner = address;
  PageRequest page{.limit = 1000, .page_token = {}};
  while (true) {
    auto instances = (*tx)->instances().list(filter, page);
    if (!instances.is_ok()) return instances.status();
    for (const auto& instance : instances->items) {
      auto s = summary(**tx, instance);
      if (!s.is_ok()) return s.status();
      out.push_back(std::move(s).value());
    }
    if (instances->last()) break;
    page.page_token = instances->next_page_token;
  }
  return out;
}

}  // namespace formation::metering_usage
