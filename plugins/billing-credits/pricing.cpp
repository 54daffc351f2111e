#include "pricing.hpp"

#include <chrono>
#include <cmath>
#include <limits>

namespace formation::billing_credits {

Result<std::int64_t> price_of(const UsageRecord& usage, const Prices& prices) {
  if (usage.period.end <= usage.period.start) {
    return Status::invalid("usage record of instance " + usage.instance_id +
                           " has an empty or inverted period");
  }
  if (usage.vcpus < 0 || usage.memory_mb < 0 || usage.network_egress_bytes < 0 ||
      !(usage.storage_gb >= 0) || !std::isfinite(usage.storage_gb)) {
    return Status::invalid("usage record of instance " + usage.instance_id +
                           " has a negative or non-finite quantity");
  }
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(usage.period.end - usage.period.start)
          .count();
  // long double keeps every term exact for realistic sizes (64-bit mantissa); rounding
  // happens once, on the sum, never per term.
  const long double seconds = static_cast<long double>(ms) / 1000.0L;
  long double total = 0;
  total += static_cast<long double>(usage.vcpus) * seconds * prices.vcpu_second;
  total += static_cast<long double>(usage.memory_mb) / 1024.0L * seconds * prices.memory_gb_second;
  total += static_cast<long double>(usage.storage_gb) * seconds * prices.disk_gb_second;
  total += static_cast<long double>(usage.network_egress_bytes) / 1e9L * prices.egress_gb;
  if (total > static_cast<long double>(std::numeric_limits<std::int64_t>::max()) / 2) {
    return Status::invalid("usage record of instance " + usage.instance_id +
                           " prices beyond what the ledger can hold");
  }
  return static_cast<std::int64_t>(std::floor(total + 0.5L));
}

std::string format_credits(std::int64_t micro) {
  const bool negative = micro < 0;
  // Unsigned so that the most negative amount does not overflow on negation.
  const std::uint64_t magnitude =
      negative ? 0 - static_cast<std::uint64_t>(micro) : static_cast<std::uint64_t>(micro);
  std::string text = std::to_string(magnitude / 1'000'000);
  if (const std::uint64_t fraction = magnitude % 1'000'000; fraction != 0) {
    std::string digits = std::to_string(fraction);
    digits.insert(0, 6 - digits.size(), '0');
    while (digits.back() == '0') digits.pop_back();
    text += "." + digits;
  }
  return (negative ? "-" : "") + text + " credits";
}

}  // namespace formation::billing_credits
