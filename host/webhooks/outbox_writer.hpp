// Turns host events into outbox entries: for a `usage.*` or `threshold.*` event, one entry
// per webhook of the event's owner (payload field `user_id`) that subscribed to it, written
// in one transaction before any delivery is attempted, so nothing is lost when formationd
// dies right after.
#pragma once

#include <functional>

#include "formation/events.hpp"
#include "formation/kinds/state_store.hpp"

namespace formation::host::webhooks {

// The event families that go out to webhooks.
inline constexpr const char* kWebhookEventPrefixes[] = {"usage.", "threshold."};

class OutboxWriter {
 public:
  // `store` answers the started store (null while there is none); `wake` is called after
  // new entries were stored (the deliverer's nudge); either may be empty.
  OutboxWriter(std::function<StateStore*()> store, std::function<void()> wake);

  // How many entries it stored (0 for an event without an owner or subscribers, or one
  // already enqueued). A store failure is an error: the bus has no retry, so the caller logs
  // it.
  Result<int> write(const Event& event);

 private:
  std::function<StateStore*()> store_;
  std::function<void()> wake_;
};

}  // namespace formation::host::webhooks
