// Fuzz target for what billing-credits reads from outside: its "parameters" object (an
// operator's plugins.d file), the usage.sample event payload and the RFC 3339 times in it.
// Must never crash; accepted parameters must hold what the plugin relies on (a "default"
// plan, non-negative prices and limits) and price a fixed record to a non-negative amount;
// an accepted time must survive formatting and parsing again.
#include <rapidjson/document.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "pricing.hpp"
#include "settings.hpp"
#include "usage_event.hpp"

namespace {

namespace bc = formation::billing_credits;

void require(bool condition) {
  if (!condition) std::abort();
}

void check_settings(const bc::Settings& s) {
  require(s.plans.contains("default"));
  for (const auto& [name, plan] : s.plans) {
    require(!plan.max_instances || *plan.max_instances >= 0);
    require(!plan.max_vcpus || *plan.max_vcpus >= 0);
  }
  const auto& p = s.prices;
  require(p.vcpu_second >= 0 && p.memory_gb_second >= 0 && p.disk_gb_second >= 0 &&
          p.egress_gb >= 0);
  require(s.sweep_interval_seconds >= 0 && s.sweep_interval_seconds <= 86400);
  require(s.sweep_lookback_hours >= 0 && s.sweep_lookback_hours <= 8760);
  // An hour of a modest instance: any accepted table prices it, never below zero.
  formation::UsageRecord usage;
  usage.instance_id = "fuzz";
  usage.period.start = formation::TimePoint(std::chrono::seconds(1'700'000'000));
  usage.period.end = usage.period.start + std::chrono::hours(1);
  usage.vcpus = 2;
  usage.memory_mb = 2048;
  usage.storage_gb = 10;
  usage.network_egress_bytes = 1'000'000'000;
  auto price = bc::price_of(usage, p);
  require(price.is_ok() && *price >= 0);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseCommentsFlag>(text.c_str(), text.size());
  if (!doc.HasParseError()) {
    if (auto settings = bc::settings_from(doc); settings.is_ok()) check_settings(*settings);
  }
  if (auto sample = bc::parse_usage_sample(text); sample.is_ok()) {
    require(!sample->instance_id.empty());
  }
  if (auto time = formation::parse_rfc3339_utc(text); time.is_ok()) {
    auto again = formation::parse_rfc3339_utc(formation::format_rfc3339_utc(*time));
    require(again.is_ok() && *again == *time);
  }
  return 0;
}
