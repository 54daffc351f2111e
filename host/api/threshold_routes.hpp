// A tenant's usage thresholds (docs/api.md "Thresholds"): limits on one resource of one
// metering period, for one of the instances it may read or for all of its instances
// together. The UsageMeter checks them every period and raises `threshold.violation` to the
// tenant's webhooks. Without a UsageMeter the routes answer 501.
#pragma once

#include <functional>

#include "api/routes.hpp"
#include "formation/kinds/usage_meter.hpp"

namespace formation::host::api {

struct ThresholdRoutesContext {
  ApiContext api;
  std::function<UsageMeter*()> meter;  // null when no UsageMeter is enabled
};

// POST/GET /v1/thresholds, GET/DELETE /v1/thresholds/{id}, owned by "host". Owner-scoped:
// another tenant's threshold is not_found; an admin sees all.
Status add_threshold_routes(Router& router, ThresholdRoutesContext context);

}  // namespace formation::host::api
