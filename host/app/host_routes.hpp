// The routes the host itself answers: GET /v1/health and GET /metrics.
#pragma once

#include <chrono>

#include "http/router.hpp"
#include "plugins/plugin_registry.hpp"
#include "runtime/metrics_registry.hpp"

namespace formation::host {

struct HostRouteContext {
  const PluginRegistry& registry;
  MetricsRegistry& metrics;
  std::chrono::steady_clock::time_point started_at;
  bool metrics_public = false;  // false: /metrics answers loopback peers only
};

// `context` must outlive the router.
Status add_host_routes(Router& router, const HostRouteContext& context);

// The /v1/health body; also used by tests and formation-plugin-check.
std::string health_json(const HostRouteContext& context, bool* any_down);

}  // namespace formation::host
