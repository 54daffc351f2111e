// The instance routes (docs/api.md "Instances"): bodies and authorisation here, the life of
// the VM in InstanceLifecycle. Every route is signed; who may do what is decided by
// authorize_instance() (owner > manager > operator > read_only; no access at all is 404).
#pragma once

#include <memory>

#include "api/instance_lifecycle.hpp"
#include "api/routes.hpp"

namespace formation::host::api {

Status add_instance_routes(Router& router, ApiContext context,
                           std::shared_ptr<InstanceLifecycle> lifecycle);

}  // namespace formation::host::api
