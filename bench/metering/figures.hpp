// What both figures of bench_metering share: clocks, medians, and failing loudly.
#pragma once

#include <time.h>

#include <algorithm>
#include <chrono>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "formation/status.hpp"

namespace formation::bench {

// CPU time of the whole process (every thread: the plugin's work may land on the pool,
// the event bus or libvirt's event loop), in milliseconds.
inline double process_cpu_ms() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

inline double wall_ms() {
  return std::chrono::duration<double, std::milli>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

struct Cost {
  double cpu_ms = 0;
  double wall_ms = 0;
};

template <typename Work>
Cost measure(Work&& work) {
  const double cpu = process_cpu_ms();
  const double wall = wall_ms();
  std::forward<Work>(work)();
  return {process_cpu_ms() - cpu, wall_ms() - wall};
}

inline double median(std::vector<double> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const auto mid = values.size() / 2;
  return values.size() % 2 == 1 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
}

// Medians of the CPU and wall times of `costs`.
inline Cost median(const std::vector<Cost>& costs) {
  std::vector<double> cpu;
  std::vector<double> wall;
  cpu.reserve(costs.size());
  wall.reserve(costs.size());
  for (const auto& c : costs) {
    cpu.push_back(c.cpu_ms);
    wall.push_back(c.wall_ms);
  }
  return {median(cpu), median(wall)};
}

template <typename T>
T must(Result<T> r, const std::string& what) {
  if (!r.is_ok()) throw std::runtime_error(what + ": " + r.status().to_string());
  return std::move(r).value();
}

inline void must(const Status& st, const std::string& what) {
  if (!st.is_ok()) throw std::runtime_error(what + ": " + st.to_string());
}

}  // namespace formation::bench
