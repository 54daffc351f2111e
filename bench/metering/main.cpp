// bench_metering: the figures of issue 8 (see README.md), each against its reference in
// the same run.
//   bench_metering tick --plugins DIR [--domains 1000] [--ticks 20]
//     CPU and wall time of one MeteringUsagePlugin::sample_now over that many running
//     domains of libvirt's test driver (a node XML written here) with their instances in
//     state-sqlite, against the raw virConnectGetAllDomainStats and `virsh domstats`.
//   bench_metering deliveries --plugins DIR [--deliveries 2000] [--threads 4]
//     webhook deliveries per second of the real Deliverer draining a state-sqlite outbox to
//     a loopback receiver, against plain libcurl POSTs of the same body.
#include <curl/curl.h>
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <exception>
#include <iostream>
#include <string>

#include "bench_metering.hpp"

namespace {

int usage() {
  std::cerr << "usage: bench_metering tick --plugins DIR [--domains N] [--ticks N]\n"
               "       bench_metering deliveries --plugins DIR [--deliveries N] [--threads N]\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return usage();
  const std::string mode = argv[1];
  formation::bench::TickOptions tick;
  formation::bench::DeliveryOptions deliveries;
  for (int i = 2; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const std::string value = argv[i + 1];
    if (flag == "--plugins") {
      tick.plugins = deliveries.plugins = value;
    } else if (flag == "--domains") {
      tick.domains = std::atoi(value.c_str());
    } else if (flag == "--ticks") {
      tick.ticks = std::atoi(value.c_str());
    } else if (flag == "--deliveries") {
      deliveries.deliveries = std::atoi(value.c_str());
    } else if (flag == "--threads") {
      deliveries.threads = std::atoi(value.c_str());
    } else {
      std::cerr << "bench_metering: unknown option " << flag << "\n";
      return usage();
    }
  }
  if (tick.plugins.empty() || tick.domains < 1 || tick.ticks < 1 || deliveries.deliveries < 1 ||
      deliveries.threads < 1) {
    return usage();
  }
  spdlog::set_level(spdlog::level::warn);  // stdout is the figures
  curl_global_init(CURL_GLOBAL_DEFAULT);
  try {
    if (mode == "tick") return formation::bench::bench_tick(tick);
    if (mode == "deliveries") return formation::bench::bench_deliveries(deliveries);
  } catch (const std::exception& e) {
    std::cerr << "bench_metering: " << e.what() << "\n";
    return 1;
  }
  return usage();
}
