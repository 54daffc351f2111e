#include "webhooks/breaker.hpp"

namespace formation::host::webhooks {

CircuitBreakers::CircuitBreakers(std::size_t threshold, std::chrono::milliseconds cool_down)
    : threshold_(threshold == 0 ? 1 : threshold), cool_down_(cool_down) {}

std::optional<std::chrono::milliseconds> CircuitBreakers::check(const std::string& endpoint,
                                                                Clock::time_point now) {
  std::lock_guard lock(mutex_);
  auto& e = endpoints_[endpoint];
  if (!e.open_until) return std::nullopt;
  if (now < *e.open_until) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(*e.open_until - now);
  }
  // Half-open: only one probe at a time; the others wait one more cool-down at most.
  if (e.probing) return cool_down_;
  e.probing = true;
  return std::nullopt;
}

void CircuitBreakers::record_success(const std::string& endpoint) {
  std::lock_guard lock(mutex_);
  endpoints_.erase(endpoint);
}

void CircuitBreakers::record_failure(const std::string& endpoint, Clock::time_point now) {
  std::lock_guard lock(mutex_);
  auto& e = endpoints_[endpoint];
  ++e.failures;
  if (e.probing || e.failures >= threshold_) e.open_until = now + cool_down_;
  e.probing = false;
}

CircuitBreakers::State CircuitBreakers::state(const std::string& endpoint, Clock::time_point now) {
  std::lock_guard lock(mutex_);
  const auto it = endpoints_.find(endpoint);
  if (it == endpoints_.end() || !it->second.open_until) return State::closed;
  if (it->second.probing || now >= *it->second.open_until) return State::half_open;
  return State::open;
}

}  // namespace formation::host::webhooks
