#include "api/instance_access.hpp"

#include <utility>

#include "api/api_support.hpp"

namespace formation::host::api {

Result<AuthorisedInstance> authorised_instance(Transaction& tx, const ApiContext& api,
                                               const std::string& caller, const std::string& id,
                                               InstanceAction action) {
  auto instance = tx.instances().get(id);
  if (!instance.is_ok()) {
    if (instance.status().code() == StatusCode::not_found) {
      return Status::not_found("no instance " + id);
    }
    return instance.status();
  }
  auto grants = tx.grants().list_for_instance(id);
  if (!grants.is_ok()) return grants.status();
  if (auto st = authorize_instance(caller, is_admin(api, caller), *instance, *grants, action);
      !st.is_ok()) {
    return st;
  }
  return AuthorisedInstance{std::move(instance).value(), std::move(grants).value()};
}

}  // namespace formation::host::api
