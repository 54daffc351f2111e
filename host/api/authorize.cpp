#include "api/authorize.hpp"

namespace formation::host::api {

std::string_view to_string(InstanceAction action) {
  switch (action) {
    case InstanceAction::read: return "read";
    case InstanceAction::start_stop_reboot: return "start, stop or reboot";
    case InstanceAction::manage: return "manage";
    case InstanceAction::delete_instance: return "delete";
    case InstanceAction::transfer: return "transfer";
  }
  return "manage";
}

AccessLevel required_level(InstanceAction action) {
  switch (action) {
    case InstanceAction::read: return AccessLevel::read_only;
    case InstanceAction::start_stop_reboot: return AccessLevel::operator_;
    case InstanceAction::manage: return AccessLevel::manager;
    case InstanceAction::delete_instance:
    case InstanceAction::transfer: return AccessLevel::owner;
  }
  return AccessLevel::owner;
}

std::optional<AccessLevel> access_level(const std::string& caller, const Instance& instance,
                                        const std::vector<Grant>& grants) {
  if (caller.empty()) return std::nullopt;
  if (caller == instance.owner) return AccessLevel::owner;
  std::optional<AccessLevel> best;
  for (const auto& g : grants) {
    if (g.instance_id != instance.id || g.address != caller) continue;
    // A grant never carries owner; treat a corrupt one as manager at most.
    AccessLevel level = g.level == AccessLevel::owner ? AccessLevel::manager : g.level;
    if (!best || includes(level, *best)) best = level;
  }
  return best;
}

Status authorize_instance(const std::string& caller, bool caller_is_admin, const Instance& instance,
                          const std::vector<Grant>& grants, InstanceAction action) {
  if (caller_is_admin) return Status::ok();
  auto level = access_level(caller, instance, grants);
  if (!level) return Status::not_found("no instance " + instance.id);
  AccessLevel need = required_level(action);
  if (!includes(*level, need)) {
    return Status::permission_denied("to " + std::string(to_string(action)) + " instance " +
                                     instance.id + " needs " + std::string(to_string(need)) +
                                     " access; you have " + std::string(to_string(*level)));
  }
  return Status::ok();
}

Status may_grant(const std::string& caller, bool caller_is_admin, const Instance& instance,
                 const std::vector<Grant>& grants, const std::string& grantee,
                 std::optional<AccessLevel> level) {
  if (auto st =
          authorize_instance(caller, caller_is_admin, instance, grants, InstanceAction::manage);
      !st.is_ok()) {
    return st;
  }
  if (level == AccessLevel::owner) {
    return Status::invalid("level owner cannot be granted; ownership changes by transfer");
  }
  if (grantee == instance.owner) {
    return Status::invalid(grantee + " owns instance " + instance.id +
                           "; the owner's access is not a grant");
  }
  if (caller_is_admin || caller == instance.owner) return Status::ok();
  // A manager: only below manager, both the level written and the one it replaces.
  std::optional<AccessLevel> existing;
  for (const auto& g : grants) {
    if (g.instance_id == instance.id && g.address == grantee) existing = g.level;
  }
  auto below_manager = [](AccessLevel l) { return !includes(l, AccessLevel::manager); };
  if (level && !below_manager(*level)) {
    return Status::permission_denied("a manager grants operator or read_only only, not " +
                                     std::string(to_string(*level)));
  }
  if (existing && !below_manager(*existing)) {
    return Status::permission_denied("a manager cannot change or remove the " +
                                     std::string(to_string(*existing)) + " grant of " + grantee);
  }
  return Status::ok();
}

}  // namespace formation::host::api
