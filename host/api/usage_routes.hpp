// The usage routes (docs/api.md "Usage"): what an instance used over its last period and
// since it was created, from the UsageMeter plugin (metering-usage). Without one they
// answer 501 saying which plugin to enable.
#pragma once

#include <functional>

#include "api/routes.hpp"
#include "formation/kinds/usage_meter.hpp"

namespace formation::host::api {

struct UsageRoutesContext {
  ApiContext api;
  std::function<UsageMeter*()> meter;  // null when no UsageMeter is enabled
};

// GET /v1/instances/{id}/usage (read access to the instance) and GET /v1/usage (the
// caller's instances; an admin may ask for another owner's with ?owner=), owned by "host".
Status add_usage_routes(Router& router, UsageRoutesContext context);

}  // namespace formation::host::api
