// GET /v1/nodes and GET /v1/nodes/{id}: the hosts of the network, their capacity, what is
// allocated and their last heartbeat. Any signed caller may read them (tenants choose
// regions by them); nothing here changes a node.
#pragma once

#include "api/routes.hpp"

namespace formation::host::api {

Status add_node_routes(Router& router, ApiContext context);

}  // namespace formation::host::api
