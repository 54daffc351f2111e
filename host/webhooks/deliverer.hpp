// The webhook deliverer: `workers` threads each claim one due outbox entry at a time (with
// a lease, so an entry claimed by a formationd that died is delivered again once the lease
// runs out), POST it, and mark it delivered, failed (retried later, retry_policy.hpp) or
// dead. Each worker is bounded by the POST timeouts, so a slow or garbage-answering
// receiver holds one worker for at most `timeouts.total` while the others go on.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <map>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

#include "formation/kinds/state_store.hpp"
#include "webhooks/breaker.hpp"
#include "webhooks/http_post.hpp"
#include "webhooks/retry_policy.hpp"

namespace formation::host::webhooks {

struct DelivererOptions {
  std::size_t workers = 4;
  // How often an idle worker looks for due entries (new events wake it at once).
  std::chrono::milliseconds poll{1000};
  PostTimeouts timeouts;
  // How long a claimed entry is this deliverer's; must exceed timeouts.total.
  std::chrono::milliseconds lease{30000};
  RetryPolicy retry;
  std::size_t breaker_threshold = 5;
  std::chrono::milliseconds breaker_cool_down{30000};
};

class Deliverer {
 public:
  Deliverer(std::function<StateStore*()> store, DelivererOptions options);
  ~Deliverer();
  Deliverer(const Deliverer&) = delete;
  Deliverer& operator=(const Deliverer&) = delete;

  void start();
  // Waits for the requests in flight (at most timeouts.total); what is left stays in the
  // outbox for the next start.
  void stop();
  // New entries are due: idle workers look now rather than at the next poll.
  void wake();

  CircuitBreakers& breakers() { return breakers_; }

 private:
  void run(std::size_t worker);
  // True when it claimed an entry (whatever became of it).
  bool deliver_one(std::mt19937_64& rng);
  void settle(const OutboxEntry& entry, const Webhook* hook, const std::string& endpoint,
              const PostOutcome& outcome, std::mt19937_64& rng);
  // The store counts every claim as an attempt, also the claims the open breaker turned back
  // without a request; giving up and the backoff count requests, so those are subtracted.
  // Kept in memory: after a restart the store's count is used as it is.
  void count_skip(const std::string& entry_id);
  std::int64_t requests_made(const OutboxEntry& entry);
  void forget_skips(const std::string& entry_id);

  std::function<StateStore*()> store_;
  DelivererOptions options_;
  CircuitBreakers breakers_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::uint64_t wakes_ = 0;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
  std::mutex skips_mutex_;
  std::map<std::string, std::int64_t> skips_;
};

}  // namespace formation::host::webhooks
