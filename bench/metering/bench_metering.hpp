// bench_metering's two figures (README.md); main.cpp parses the options.
#pragma once

#include <string>

namespace formation::bench {

struct TickOptions {
  std::string plugins;  // the build's plugin directory (state-sqlite.so, vmm-libvirt.so)
  int domains = 1000;
  int ticks = 20;
};

struct DeliveryOptions {
  std::string plugins;
  int deliveries = 2000;
  int threads = 4;  // the reference's threads, as many as the deliverer's workers
};

// 0 when the figures were measured and every check held.
int bench_tick(const TickOptions& options);
int bench_deliveries(const DeliveryOptions& options);

}  // namespace formation::bench
