// Versioned schema migrations. Each migration runs in its own BEGIN IMMEDIATE transaction
// (SQLite's write lock serialises several processes starting at once) and records itself
// in `schema_migrations`; applying them again changes nothing.
#pragma once

#include <span>
#include <string_view>

#include "db.hpp"

namespace formation::sqlite {

struct Migration {
  int version;
  std::string_view name;
  std::string_view sql;
};

// Every migration this plugin knows, in order (versions 1, 2, ...).
std::span<const Migration> migrations();
int latest_schema_version();

// The version recorded in the database; 0 when it was never migrated.
Result<int> read_schema_version(Connection& db);
// Applies what is missing; returns the resulting version. conflict when the database is
// newer than this plugin.
Result<int> apply_migrations(Connection& db);

}  // namespace formation::sqlite
