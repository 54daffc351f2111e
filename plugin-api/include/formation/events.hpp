// The in-process event bus. Plugins react to events instead of calling each other
// where they can (DNS learns about instances from `instance.created`, not from libvirt).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "formation/visibility.hpp"

namespace formation {

struct FORMATION_API Event {
  std::string type;          // "instance.created", "instance.state_changed", "usage.sample", ...
  std::string payload_json;  // a JSON object; its schema lives in schemas/events/
  std::string source;        // plugin instance that published it ("host" for the host)
  std::chrono::system_clock::time_point time = std::chrono::system_clock::now();
};

using SubscriptionId = std::uint64_t;
using EventHandler = std::function<void(const Event&)>;

class FORMATION_API EventBus {
 public:
  virtual ~EventBus() = default;
  // Delivery is asynchronous and in publication order, one event at a time per bus;
  // a handler must not block for long.
  virtual void publish(Event event) = 0;
  // `type_prefix` "instance." matches every instance event; "" matches everything.
  virtual SubscriptionId subscribe(std::string type_prefix, EventHandler handler) = 0;
  virtual void unsubscribe(SubscriptionId id) = 0;
};

}  // namespace formation
