// Accounts and instance grants (DESIGN.md §5: permissions on an instance).
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>

#include "formation/records/common.hpp"
#include "formation/visibility.hpp"

namespace formation {

// A tenant, keyed by the address that signs its requests. The credit balance is not part
// of the account: the ledger is its one source of truth (LedgerRepository::balance,
// Billing::balance).
struct FORMATION_API Account {
  std::string address;           // "0x" + 40 lower-case hex; the key
  std::string name;              // display name chosen by the tenant
  std::string plan = "default";  // plan name; limits per plan live in the billing plugin
  TimePoint created_at;
  TimePoint updated_at;
  std::int64_t version = 0;
};

// Access to one instance, ordered: a level includes every level below it.
//   owner     everything, including transfer and delete (Instance::owner, never a Grant)
//   manager   lifecycle, and grants below manager
//   operator  start / stop / reboot
//   read_only read
enum class AccessLevel { read_only = 0, operator_ = 1, manager = 2, owner = 3 };

constexpr std::string_view to_string(AccessLevel level) {
  switch (level) {
    case AccessLevel::read_only: return "read_only";
    case AccessLevel::operator_: return "operator";
    case AccessLevel::manager: return "manager";
    case AccessLevel::owner: return "owner";
  }
  return "read_only";
}

inline constexpr std::array kAllAccessLevels = {AccessLevel::read_only, AccessLevel::operator_,
                                                AccessLevel::manager, AccessLevel::owner};

constexpr std::optional<AccessLevel> parse_access_level(std::string_view name) {
  return detail::parse_enum(name, kAllAccessLevels);
}

// True when `have` allows what `need` allows (owner >= manager >= operator >= read_only).
constexpr bool includes(AccessLevel have, AccessLevel need) {
  return static_cast<int>(have) >= static_cast<int>(need);
}

// A delegated access level on one instance. The owner is Instance::owner and changes only
// by transfer, so a grant's level is manager, operator or read_only.
struct FORMATION_API Grant {
  std::string instance_id;
  std::string address;  // the grantee
  AccessLevel level = AccessLevel::read_only;
  std::string granted_by;  // address that wrote the grant
  TimePoint created_at;
  TimePoint updated_at;
};

}  // namespace formation
