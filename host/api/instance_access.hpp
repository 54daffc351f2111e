// The one way an instance route loads its instance: the row, its grants, and the caller's
// right to `action` (authorize.hpp). An instance the caller may not see at all is not_found,
// exactly like one that does not exist, so ids of other tenants leak nothing.
#pragma once

#include <string>
#include <vector>

#include "api/authorize.hpp"
#include "api/routes.hpp"
#include "formation/kinds/state_store.hpp"

namespace formation::host::api {

struct AuthorisedInstance {
  Instance instance;
  std::vector<Grant> grants;
};

// not_found "no instance <id>"; permission_denied when the caller sees it but may not do
// `action`; the store's own errors as they are.
Result<AuthorisedInstance> authorised_instance(Transaction& tx, const ApiContext& api,
                                               const std::string& caller, const std::string& id,
                                               InstanceAction action);

}  // namespace formation::host::api
