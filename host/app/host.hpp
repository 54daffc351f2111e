// One running formationd: runtime services, plugins, router and HTTP server, brought up
// in that order and taken down in reverse.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "api/instance_lifecycle.hpp"
#include "app/host_routes.hpp"
#include "config/config.hpp"
#include "http/router.hpp"
#include "http/server.hpp"
#include "plugins/plugin_registry.hpp"
#include "runtime/blocking_pool.hpp"
#include "runtime/event_bus.hpp"
#include "runtime/metrics_registry.hpp"
#include "runtime/timer_service.hpp"
#include "webhooks/deliverer.hpp"
#include "webhooks/outbox_writer.hpp"

namespace formation::host {

class Host {
 public:
  explicit Host(const LoadedConfig& config);
  ~Host();
  Host(const Host&) = delete;
  Host& operator=(const Host&) = delete;

  // Creates and starts the plugins and registers every route; the router is frozen after.
  Status start_plugins(std::vector<PreparedInstance> instances);
  // Binds the listener; returns the URL it serves.
  // For a serving daemon, after start_plugins(): registers the node, heartbeats,
  // reconciles instances with the VM plugin and follows its events.
  Status start_node_work();
  Result<std::string> listen();
  // Stops accepting, lets in-flight requests finish (up to the configured grace), stops
  // plugins in reverse order and the runtime last. Idempotent.
  void shutdown();

  [[nodiscard]] const Router& router() const { return router_; }

 private:
  Status add_post_start_routes();
  void join_mesh(StateStore& store);
  void start_webhooks(StateStore& store);
  [[nodiscard]] std::string api_url() const;
  HostConfig config_;
  std::chrono::steady_clock::time_point started_at_;
  MetricsRegistry metrics_;
  ThreadPool pool_;
  InProcessEventBus events_;
  TimerService timers_;
  Router router_;
  std::unique_ptr<RuntimeServices> runtime_;
  std::unique_ptr<PluginRegistry> registry_;
  std::unique_ptr<HostRouteContext> route_context_;
  std::unique_ptr<HttpServer> server_;
  std::string node_id_;
  std::shared_ptr<api::InstanceLifecycle> lifecycle_;
  std::optional<VmmSubscriptionId> vmm_subscription_;
  // Webhook deliveries (docs/webhooks.md): events into the outbox, the outbox out.
  std::unique_ptr<webhooks::Deliverer> deliverer_;
  std::shared_ptr<webhooks::OutboxWriter> outbox_writer_;
  std::vector<SubscriptionId> webhook_subscriptions_;
  bool shut_down_ = false;
};

}  // namespace formation::host
