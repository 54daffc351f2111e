// One circuit breaker per receiving endpoint (host:port): after `threshold` consecutive
// failures it opens and deliveries to that endpoint are rescheduled without a request until
// `cool_down` has passed; then one probe is let through (half-open): its success closes the
// breaker, its failure opens it for another cool-down. A dead receiver thus costs one
// request per cool-down, not one per pending delivery.
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <mutex>
#include <optional>
#include <string>

namespace formation::host::webhooks {

class CircuitBreakers {
 public:
  using Clock = std::chrono::steady_clock;

  CircuitBreakers(std::size_t threshold, std::chrono::milliseconds cool_down);

  // nullopt: go ahead (closed, or this is the half-open probe). Otherwise how long until the
  // next probe may go: reschedule the delivery by that much.
  std::optional<std::chrono::milliseconds> check(const std::string& endpoint,
                                                 Clock::time_point now = Clock::now());
  void record_success(const std::string& endpoint);
  void record_failure(const std::string& endpoint, Clock::time_point now = Clock::now());

  enum class State { closed, open, half_open };
  State state(const std::string& endpoint, Clock::time_point now = Clock::now());

 private:
  struct Endpoint {
    std::size_t failures = 0;
    std::optional<Clock::time_point> open_until;
    bool probing = false;
  };
  std::size_t threshold_;
  std::chrono::milliseconds cool_down_;
  std::mutex mutex_;
  std::map<std::string, Endpoint> endpoints_;
};

}  // namespace formation::host::webhooks
