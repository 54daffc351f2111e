#include "webhooks/deliverer.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <string>
#include <utility>

#include "webhooks/delivery_keys.hpp"
#include "webhooks/url_check.hpp"

namespace formation::host::webhooks {
namespace {

using Clock = std::chrono::system_clock;

Status settle_in_store(StateStore& store, const std::function<Status(Transaction&)>& change) {
  auto tx = store.begin();
  if (!tx.is_ok()) return tx.status();
  if (auto st = change(**tx); !st.is_ok()) return st;
  return (*tx)->commit();
}

}  // namespace

Deliverer::Deliverer(std::function<StateStore*()> store, DelivererOptions options)
    : store_(std::move(store)),
      options_(options),
      breakers_(options.breaker_threshold, options.breaker_cool_down) {}

Deliverer::~Deliverer() { stop(); }

void Deliverer::start() {
  std::lock_guard lock(mutex_);
  if (!threads_.empty()) return;
  stopping_ = false;
  for (std::size_t i = 0; i < std::max<std::size_t>(options_.workers, 1); ++i) {
    threads_.emplace_back([this, i] { run(i); });
  }
}

void Deliverer::stop() {
  std::vector<std::thread> threads;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    threads.swap(threads_);
  }
  wake_.notify_all();
  for (auto& t : threads) t.join();
}

void Deliverer::wake() {
  {
    std::lock_guard lock(mutex_);
    ++wakes_;
  }
  wake_.notify_all();
}

void Deliverer::run(std::size_t worker) {
  std::mt19937_64 rng(std::random_device{}() + worker);
  while (true) {
    std::uint64_t seen = 0;
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return;
      seen = wakes_;
    }
    if (deliver_one(rng)) continue;
    std::unique_lock lock(mutex_);
    wake_.wait_for(lock, options_.poll, [&] { return stopping_ || wakes_ != seen; });
    if (stopping_) return;
  }
}

bool Deliverer::deliver_one(std::mt19937_64& rng) {
  StateStore* store = store_ ? store_() : nullptr;
  if (store == nullptr) return false;
  const auto now = Clock::now();
  std::optional<OutboxEntry> entry;
  std::optional<Webhook> hook;
  {
    auto tx = store->begin();
    if (!tx.is_ok()) return false;
    auto claimed = (*tx)->outbox().claim_due(now, 1, now + options_.lease);
    if (!claimed.is_ok()) {
      spdlog::warn("webhooks: claiming due deliveries failed: {}", claimed.status().to_string());
      return false;
    }
    if (claimed->empty()) return false;
    entry = std::move(claimed->front());
    auto found = (*tx)->webhooks().get(entry->webhook_id);
    if (found.is_ok()) hook = std::move(found).value();
    if (auto st = (*tx)->commit(); !st.is_ok()) return false;
  }
  if (!hook) {
    // Removing a webhook removes its entries; one that slipped through has no receiver.
    forget_skips(entry->id);
    (void)settle_in_store(*store, [&](Transaction& tx) {
      return tx.outbox().mark_dead(entry->id, "webhook " + entry->webhook_id + " no longer exists");
    });
    return true;
  }
  auto url = parse_webhook_url(hook->url);
  if (!url.is_ok()) {
    settle(*entry, &*hook, "", PostOutcome{0, url.status().message()}, rng);
    return true;
  }
  const std::string endpoint = url->endpoint();
  if (auto wait = breakers_.check(endpoint)) {
    // Not an attempt at the receiver: rescheduled to when the breaker lets a probe through.
    const auto at = Clock::now() + *wait;
    count_skip(entry->id);
    (void)settle_in_store(*store, [&](Transaction& tx) {
      return tx.outbox().mark_failed(entry->id, "circuit open for " + endpoint, at);
    });
    return true;
  }
  const std::vector<std::pair<std::string, std::string>> headers = {
      {"X-Formation-Event", entry->event_type},
      {"X-Formation-Delivery", entry->idempotency_key},
      {"X-Formation-Signature", sign_body(hook->secret, entry->payload_json)},
  };
  const PostOutcome outcome = http_post(hook->url, headers, entry->payload_json, options_.timeouts);
  settle(*entry, &*hook, endpoint, outcome, rng);
  return true;
}

void Deliverer::settle(const OutboxEntry& entry, const Webhook* hook, const std::string& endpoint,
                       const PostOutcome& outcome, std::mt19937_64& rng) {
  StateStore* store = store_ ? store_() : nullptr;
  if (store == nullptr) return;  // the lease runs out and it is tried again
  const bool ok = outcome.status >= 200 && outcome.status < 300;
  if (!endpoint.empty()) {
    if (ok) {
      breakers_.record_success(endpoint);
    } else {
      breakers_.record_failure(endpoint);
    }
  }
  Status st;
  const std::int64_t attempts = requests_made(entry);
  if (ok) {
    forget_skips(entry.id);
    st = settle_in_store(*store,
                         [&](Transaction& tx) { return tx.outbox().mark_delivered(entry.id); });
  } else {
    const auto now = Clock::now();
    const bool give_up =
        attempts >= options_.retry.max_attempts || now - entry.created_at > options_.retry.max_age;
    if (give_up) {
      spdlog::warn("webhooks: giving up on delivery {} to webhook {} after {} attempts: {}",
                   entry.id, hook ? hook->id : entry.webhook_id, attempts, outcome.error);
      forget_skips(entry.id);
      st = settle_in_store(
          *store, [&](Transaction& tx) { return tx.outbox().mark_dead(entry.id, outcome.error); });
    } else {
      const auto at = now + options_.retry.delay(attempts, rng);
      st = settle_in_store(*store, [&](Transaction& tx) {
        return tx.outbox().mark_failed(entry.id, outcome.error, at);
      });
    }
  }
  if (!st.is_ok()) {
    // The lease expires and the entry is delivered again: at least once, never lost.
    spdlog::warn("webhooks: recording the outcome of delivery {} failed: {}", entry.id,
                 st.to_string());
  }
}

void Deliverer::count_skip(const std::string& entry_id) {
  std::lock_guard lock(skips_mutex_);
  ++skips_[entry_id];
}

std::int64_t Deliverer::requests_made(const OutboxEntry& entry) {
  std::lock_guard lock(skips_mutex_);
  const auto it = skips_.find(entry.id);
  const std::int64_t skipped = it == skips_.end() ? 0 : it->second;
  return std::max<std::int64_t>(entry.attempts - skipped, 1);
}

void Deliverer::forget_skips(const std::string& entry_id) {
  std::lock_guard lock(skips_mutex_);
  skips_.erase(entry_id);
}

}  // namespace formation::host::webhooks
