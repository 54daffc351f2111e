// In-process event bus: one dispatcher thread delivers events in publication order.
#pragma once

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "formation/events.hpp"

namespace formation::host {

class InProcessEventBus final : public EventBus {
 public:
  InProcessEventBus();
  ~InProcessEventBus() override;
  InProcessEventBus(const InProcessEventBus&) = delete;
  InProcessEventBus& operator=(const InProcessEventBus&) = delete;

  void publish(Event event) override;
  SubscriptionId subscribe(std::string type_prefix, EventHandler handler) override;
  void unsubscribe(SubscriptionId id) override;
  // Delivers what is queued, then stops the dispatcher; later events are dropped.
  void shutdown();

 private:
  struct Subscription {
    SubscriptionId id;
    std::string prefix;
    EventHandler handler;
  };
  void run();

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Event> queue_;
  std::vector<Subscription> subscriptions_;
  SubscriptionId next_id_ = 1;
  bool stopping_ = false;
  std::thread dispatcher_;
};

}  // namespace formation::host
