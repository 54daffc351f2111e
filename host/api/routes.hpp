// The host's tenant API over the state store: accounts, instance grants and transfer
// (DESIGN.md §5). Every route is signed and runs on the blocking pool; each request uses
// one store transaction, so a failed request leaves nothing half-written.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "formation/kinds/state_store.hpp"
#include "http/router.hpp"

namespace formation::host::api {

struct ApiContext {
  // The started StateStore; null until plugins have started (answers 503 then).
  std::function<StateStore*()> store;
  // Operator admin addresses (HostConfig::admins, lower case).
  std::vector<std::string> admins;
};

// Registers POST/GET /v1/accounts, GET/PATCH/DELETE /v1/accounts/{address},
// GET /v1/instances/{id}/grants, PUT/DELETE /v1/instances/{id}/grants/{address} and
// POST /v1/instances/{id}/transfer, owned by "host".
Status add_api_routes(Router& router, ApiContext context);

}  // namespace formation::host::api
