// The metrics registry a plugin receives; the host renders it at GET /metrics in the
// Prometheus text format. Asking twice for the same name and labels returns the same
// series, so plugins need not keep the references (but may: they live as long as the host).
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "formation/visibility.hpp"

namespace formation {

using MetricLabels = std::vector<std::pair<std::string, std::string>>;

class FORMATION_API Counter {
 public:
  virtual ~Counter() = default;
  virtual void inc(double amount = 1.0) = 0;
  [[nodiscard]] virtual double value() const = 0;
};

class FORMATION_API Gauge {
 public:
  virtual ~Gauge() = default;
  virtual void set(double value) = 0;
  virtual void add(double amount) = 0;
  [[nodiscard]] virtual double value() const = 0;
};

class FORMATION_API Histogram {
 public:
  virtual ~Histogram() = default;
  virtual void observe(double value) = 0;
};

class FORMATION_API Metrics {
 public:
  virtual ~Metrics() = default;
  // Names follow Prometheus rules ([a-zA-Z_:][a-zA-Z0-9_:]*); the host prefixes nothing.
  // A name reused with another type is a programming error and returns a detached series.
  virtual Counter& counter(std::string_view name, std::string_view help,
                           const MetricLabels& labels = {}) = 0;
  virtual Gauge& gauge(std::string_view name, std::string_view help,
                       const MetricLabels& labels = {}) = 0;
  // Buckets are upper bounds in ascending order; empty means the default latency
  // buckets in seconds (0.0005 .. 10).
  virtual Histogram& histogram(std::string_view name, std::string_view help,
                               const MetricLabels& labels = {},
                               std::vector<double> buckets = {}) = 0;
};

}  // namespace formation
