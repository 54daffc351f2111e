// The host's implementation of formation::Metrics, rendered as Prometheus text format 0.0.4.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "formation/metrics.hpp"

namespace formation::host {

class MetricsRegistry final : public Metrics {
 public:
  MetricsRegistry();
  ~MetricsRegistry() override;
  MetricsRegistry(const MetricsRegistry&) = delete;
  MetricsRegistry& operator=(const MetricsRegistry&) = delete;

  Counter& counter(std::string_view name, std::string_view help,
                   const MetricLabels& labels = {}) override;
  Gauge& gauge(std::string_view name, std::string_view help,
               const MetricLabels& labels = {}) override;
  Histogram& histogram(std::string_view name, std::string_view help,
                       const MetricLabels& labels = {}, std::vector<double> buckets = {}) override;

  // Every family, sorted by name, with # HELP and # TYPE lines.
  [[nodiscard]] std::string render_prometheus() const;

 private:
  enum class Type { counter, gauge, histogram };
  struct Series;
  struct Family {
    Type type;
    std::string help;
    std::vector<double> buckets;
    std::map<std::string, std::unique_ptr<Series>> series;  // key: rendered label set
  };
  Series& find_or_add(std::string_view name, std::string_view help, Type type,
                      const MetricLabels& labels, std::vector<double> buckets);

  mutable std::mutex mutex_;
  std::map<std::string, Family, std::less<>> families_;
  std::vector<std::unique_ptr<Series>> detached_;  // wrong-type requests land here
};

}  // namespace formation::host
