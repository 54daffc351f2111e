#include "runtime/event_bus.hpp"

#include <spdlog/spdlog.h>
#include <exception>

namespace formation::host {

InProcessEventBus::InProcessEventBus() : dispatcher_([this] { run(); }) {}

InProcessEventBus::~InProcessEventBus() { shutdown(); }

void InProcessEventBus::publish(Event event) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    queue_.push_back(std::move(event));
  }
  wake_.notify_one();
}

SubscriptionId InProcessEventBus::subscribe(std::string type_prefix, EventHandler handler) {
  std::lock_guard lock(mutex_);
  auto id = next_id_++;
  subscriptions_.push_back({id, std::move(type_prefix), std::move(handler)});
  return id;
}

void InProcessEventBus::unsubscribe(SubscriptionId id) {
  std::lock_guard lock(mutex_);
  std::erase_if(subscriptions_, [id](const Subscription& s) { return s.id == id; });
}

void InProcessEventBus::shutdown() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (dispatcher_.joinable()) dispatcher_.join();
}

void InProcessEventBus::run() {
  for (;;) {
    Event event;
    std::vector<EventHandler> handlers;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;
      event = std::move(queue_.front());
      queue_.pop_front();
      for (const auto& s : subscriptions_) {
        if (event.type.starts_with(s.prefix)) handlers.push_back(s.handler);
      }
    }
    for (const auto& handler : handlers) {
      try {
        handler(event);
      } catch (const std::exception& e) {
        spdlog::error("event handler for '{}' threw: {}", event.type, e.what());
      } catch (...) {
        spdlog::error("event handler for '{}' threw a non-standard exception", event.type);
      }
    }
  }
}

}  // namespace formation::host
