// The one function that decides every instance route (DESIGN.md §5, permissions on an
// instance): owner > manager > operator > read_only, admins may do everything.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "formation/records.hpp"
#include "formation/status.hpp"

namespace formation::host::api {

enum class InstanceAction {
  read,               // show the instance, its grants, its usage
  start_stop_reboot,  // lifecycle
  manage,             // resize, grants below manager
  delete_instance,    // delete
  transfer,           // change the owner
};

std::string_view to_string(InstanceAction action);

// The least level that allows `action`.
AccessLevel required_level(InstanceAction action);

// The caller's level on the instance: owner when it is Instance::owner, else its grant's
// level (grants of other instances are ignored); nullopt when it has none.
std::optional<AccessLevel> access_level(const std::string& caller, const Instance& instance,
                                        const std::vector<Grant>& grants);

// ok when allowed. not_found when the caller has no access at all (the instance is
// invisible to it), permission_denied when it has some access but not enough. Admins may
// do everything.
Status authorize_instance(const std::string& caller, bool caller_is_admin, const Instance& instance,
                          const std::vector<Grant>& grants, InstanceAction action);

// Whether the caller may set the grant of `grantee` to `level` (nullopt: remove it).
// The owner (and an admin) grants or removes any level below owner; a manager grants and
// removes only operator and read_only. Errors: those of authorize_instance(manage);
// invalid when `level` is owner or the grantee is the owner; permission_denied otherwise.
Status may_grant(const std::string& caller, bool caller_is_admin, const Instance& instance,
                 const std::vector<Grant>& grants, const std::string& grantee,
                 std::optional<AccessLevel> level);

}  // namespace formation::host::api
