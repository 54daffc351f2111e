// The instance routes (docs/api.md "Instances"): bodies and authorisation here, the life of
// the VM in InstanceLifecycle. Every route is signed; who may do what is decided by
// authorize_instance() (owner > manager > operator > read_only; no access at all is 404).
#pragma once

#include <functional>
#include <memory>

#include "api/instance_lifecycle.hpp"
#include "api/routes.hpp"
#include "formation/kinds/billing.hpp"

namespace formation::host::api {

// With a Billing plugin (`billing`, null when none is enabled), a create it refuses
// answers 402 payment_required and creates nothing.
Status add_instance_routes(Router& router, ApiContext context,
                           std::shared_ptr<InstanceLifecycle> lifecycle,
                           std::function<Billing*()> billing = {});

}  // namespace formation::host::api
