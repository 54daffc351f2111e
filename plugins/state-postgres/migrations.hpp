// Versioned schema migrations. Each runs in its own transaction that first takes
// pg_advisory_xact_lock(kMigrationLock), so several formationd starting at once against one
// database apply each migration exactly once (the others wait, then see it applied).
#pragma once

#include <pqxx/pqxx>

#include <formation/status.hpp>

namespace formation::postgres {

// The schema version this plugin knows.
int latest_schema_version();

// Applies what is missing; returns the resulting version. conflict when the database is
// newer than this plugin. Throws what libpqxx throws (the caller maps it).
Result<int> apply_migrations(pqxx::connection& connection);

// The version the database is at (0 when never migrated). Throws like apply_migrations.
int read_schema_version(pqxx::connection& connection);

}  // namespace formation::postgres
