// When a failed delivery is tried again: exponential backoff (base * 2^(attempt-1), capped)
// with "full jitter" (a uniform pick in [delay/2, delay]), so that receivers coming back
// after an outage are not hit by every deliverer in the same second.
#pragma once

#include <chrono>
#include <cstdint>
#include <random>

namespace formation::host::webhooks {

struct RetryPolicy {
  std::chrono::milliseconds base{1000};
  std::chrono::milliseconds cap{std::chrono::minutes(10)};
  // Past this many attempts, or this age, a delivery is given up on (state dead).
  std::int64_t max_attempts = 50;
  std::chrono::hours max_age{72};

  // The wait after the `attempt`-th failed attempt (1-based).
  [[nodiscard]] std::chrono::milliseconds delay(std::int64_t attempt, std::mt19937_64& rng) const;
};

}  // namespace formation::host::webhooks
