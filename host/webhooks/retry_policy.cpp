#include "webhooks/retry_policy.hpp"

#include <algorithm>

namespace formation::host::webhooks {

std::chrono::milliseconds RetryPolicy::delay(std::int64_t attempt, std::mt19937_64& rng) const {
  const auto shift = std::clamp<std::int64_t>(attempt - 1, 0, 30);
  const auto full = std::min<std::int64_t>(base.count() << shift, cap.count());
  std::uniform_int_distribution<std::int64_t> pick(full / 2, std::max<std::int64_t>(full, 1));
  return std::chrono::milliseconds(pick(rng));
}

}  // namespace formation::host::webhooks
