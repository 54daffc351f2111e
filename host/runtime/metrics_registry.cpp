#include "runtime/metrics_registry.hpp"

#include <fmt/format.h>
#include <algorithm>
#include <atomic>
#include <cmath>

namespace formation::host {
namespace {

const std::vector<double> kDefaultBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                             0.1,    0.25,  0.5,    1,     2.5,  5,     10};

std::string escape_label_value(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

// `{a="1",b="2"}`, labels sorted by name so the same set always gives the same key.
std::string render_labels(MetricLabels labels) {
  if (labels.empty()) return {};
  std::sort(labels.begin(), labels.end());
  std::string out = "{";
  for (size_t i = 0; i < labels.size(); ++i) {
    if (i) out += ',';
    out += labels[i].first + "=\"" + escape_label_value(labels[i].second) + "\"";
  }
  return out + "}";
}

std::string format_value(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (std::isnan(v)) return "NaN";
  return fmt::format("{}", v);
}

// Adds `le` to an already rendered label set.
std::string with_le(const std::string& labels, const std::string& le) {
  if (labels.empty()) return "{le=\"" + le + "\"}";
  return labels.substr(0, labels.size() - 1) + ",le=\"" + le + "\"}";
}

void atomic_add(std::atomic<double>& target, double amount) {
  double current = target.load(std::memory_order_relaxed);
  while (!target.compare_exchange_weak(current, current + amount, std::memory_order_relaxed)) {
  }
}

}  // namespace

struct MetricsRegistry::Series final : Counter, Gauge, Histogram {
  explicit Series(std::vector<double> b)
      : bucket_bounds(std::move(b)), bucket_counts(bucket_bounds.size()) {}

  void inc(double amount) override {
    if (amount > 0) atomic_add(value_, amount);  // counters only go up
  }
  void set(double v) override { value_.store(v, std::memory_order_relaxed); }
  void add(double amount) override { atomic_add(value_, amount); }
  [[nodiscard]] double value() const override { return value_.load(std::memory_order_relaxed); }
  void observe(double v) override {
    std::lock_guard lock(hist_mutex);
    for (size_t i = 0; i < bucket_bounds.size(); ++i) {
      if (v <= bucket_bounds[i]) ++bucket_counts[i];
    }
    ++count;
    sum += v;
  }

  std::atomic<double> value_{0.0};
  std::mutex hist_mutex;
  std::vector<double> bucket_bounds;
  std::vector<std::uint64_t> bucket_counts;
  std::uint64_t count = 0;
  double sum = 0;
};

MetricsRegistry::MetricsRegistry() = default;
MetricsRegistry::~MetricsRegistry() = default;

MetricsRegistry::Series& MetricsRegistry::find_or_add(std::string_view name, std::string_view help,
                                                      Type type, const MetricLabels& labels,
                                                      std::vector<double> buckets) {
  std::lock_guard lock(mutex_);
  auto it = families_.find(name);
  if (it == families_.end()) {
    if (type == Type::histogram && buckets.empty()) buckets = kDefaultBuckets;
    it = families_
             .emplace(std::string(name), Family{type, std::string(help), std::move(buckets), {}})
             .first;
  } else if (it->second.type != type) {
    detached_.push_back(std::make_unique<Series>(std::vector<double>{}));
    return *detached_.back();
  }
  auto& family = it->second;
  auto key = render_labels(labels);
  auto sit = family.series.find(key);
  if (sit == family.series.end()) {
    sit = family.series.emplace(key, std::make_unique<Series>(family.buckets)).first;
  }
  return *sit->second;
}

Counter& MetricsRegistry::counter(std::string_view name, std::string_view help,
                                  const MetricLabels& labels) {
  return find_or_add(name, help, Type::counter, labels, {});
}

Gauge& MetricsRegistry::gauge(std::string_view name, std::string_view help,
                              const MetricLabels& labels) {
  return find_or_add(name, help, Type::gauge, labels, {});
}

Histogram& MetricsRegistry::histogram(std::string_view name, std::string_view help,
                                      const MetricLabels& labels, std::vector<double> buckets) {
  return find_or_add(name, help, Type::histogram, labels, std::move(buckets));
}

std::string MetricsRegistry::render_prometheus() const {
  std::lock_guard lock(mutex_);
  std::string out;
  for (const auto& [name, family] : families_) {
    const char* type = family.type == Type::counter ? "counter"
                       : family.type == Type::gauge ? "gauge"
                                                    : "histogram";
    out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, family.help, name, type);
    for (const auto& [labels, series] : family.series) {
      if (family.type != Type::histogram) {
        out += name + labels + " " + format_value(series->value()) + "\n";
        continue;
      }
      std::lock_guard hist_lock(series->hist_mutex);
      for (size_t i = 0; i < series->bucket_bounds.size(); ++i) {
        out += name + "_bucket" + with_le(labels, format_value(series->bucket_bounds[i])) + " " +
               std::to_string(series->bucket_counts[i]) + "\n";
      }
      out +=
          name + "_bucket" + with_le(labels, "+Inf") + " " + std::to_string(series->count) + "\n";
      out += name + "_sum" + labels + " " + format_value(series->sum) + "\n";
      out += name + "_count" + labels + " " + std::to_string(series->count) + "\n";
    }
  }
  return out;
}

}  // namespace formation::host
