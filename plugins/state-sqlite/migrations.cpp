#include "migrations.hpp"

#include <array>
#include <string>

namespace formation::sqlite {

namespace {

constexpr std::string_view kBookkeeping = R"sql(
CREATE TABLE IF NOT EXISTS schema_migrations (
  version    INTEGER PRIMARY KEY,
  name       TEXT NOT NULL,
  applied_at INTEGER NOT NULL
);
)sql";

// Version 1: every record of formation/records/*.hpp. Timestamps are unix milliseconds;
// lists of strings/integers are JSON arrays in TEXT columns.
constexpr std::string_view kV1 = R"sql(
CREATE TABLE accounts (
  address TEXT PRIMARY KEY, name TEXT NOT NULL, plan TEXT NOT NULL,
  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, version INTEGER NOT NULL
);
CREATE TABLE instances (
  id TEXT PRIMARY KEY, name TEXT NOT NULL, owner TEXT NOT NULL, build_id TEXT NOT NULL,
  node_id TEXT NOT NULL, state TEXT NOT NULL, desired_state TEXT NOT NULL,
  vcpus INTEGER NOT NULL, memory_mb INTEGER NOT NULL, disk_gb INTEGER NOT NULL,
  extra_disks_gb TEXT NOT NULL, extra_disks_total_gb INTEGER NOT NULL,
  formnet_ip TEXT, dns_name TEXT NOT NULL, error TEXT NOT NULL,
  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, version INTEGER NOT NULL
);
CREATE INDEX instances_owner ON instances (owner, id);
CREATE INDEX instances_node ON instances (node_id, id);
CREATE TABLE grants (
  instance_id TEXT NOT NULL REFERENCES instances (id) ON DELETE CASCADE,
  address TEXT NOT NULL, level TEXT NOT NULL, granted_by TEXT NOT NULL,
  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,
  PRIMARY KEY (instance_id, address)
);
CREATE INDEX grants_address ON grants (address, instance_id);
CREATE TABLE builds (
  build_id TEXT PRIMARY KEY, owner TEXT NOT NULL, name TEXT NOT NULL, state TEXT NOT NULL,
  reason TEXT NOT NULL, manifest_json TEXT NOT NULL, seed_iso TEXT NOT NULL,
  context_tarball TEXT NOT NULL, base_image TEXT NOT NULL, node_id TEXT NOT NULL,
  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, version INTEGER NOT NULL
);
CREATE INDEX builds_owner ON builds (owner, build_id);
CREATE TABLE nodes (
  id TEXT PRIMARY KEY, region TEXT NOT NULL, public_ip TEXT NOT NULL, endpoint TEXT NOT NULL,
  capacity_vcpus INTEGER NOT NULL, capacity_memory_mb INTEGER NOT NULL,
  capacity_disk_gb INTEGER NOT NULL, allocated_vcpus INTEGER NOT NULL,
  allocated_memory_mb INTEGER NOT NULL, allocated_disk_gb INTEGER NOT NULL,
  heartbeat_at INTEGER NOT NULL,
  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, version INTEGER NOT NULL
);
CREATE TABLE operations (
  id TEXT PRIMARY KEY, kind TEXT NOT NULL, target_id TEXT NOT NULL, owner TEXT NOT NULL,
  state TEXT NOT NULL, progress INTEGER NOT NULL, message TEXT NOT NULL,
  result_json TEXT NOT NULL, error_code TEXT NOT NULL, error_message TEXT NOT NULL,
  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, version INTEGER NOT NULL
);
CREATE INDEX operations_state ON operations (state, updated_at);
CREATE TABLE dns_records (
  fqdn TEXT NOT NULL, type TEXT NOT NULL, values_json TEXT NOT NULL, ttl INTEGER NOT NULL,
  owner TEXT NOT NULL, instance_id TEXT, verified INTEGER NOT NULL,
  verification_token TEXT NOT NULL,
  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, version INTEGER NOT NULL,
  PRIMARY KEY (fqdn, type)
);
CREATE INDEX dns_records_instance ON dns_records (instance_id);
CREATE TABLE mesh_peers (
  id TEXT PRIMARY KEY, kind TEXT NOT NULL, owner TEXT NOT NULL, public_key TEXT NOT NULL,
  address TEXT NOT NULL UNIQUE, endpoints_json TEXT NOT NULL, node_id TEXT NOT NULL,
  instance_id TEXT,
  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, version INTEGER NOT NULL
);
CREATE UNIQUE INDEX mesh_peers_public_key ON mesh_peers (public_key) WHERE public_key <> '';
CREATE TABLE usage_records (
  instance_id TEXT NOT NULL, owner TEXT NOT NULL,
  period_start INTEGER NOT NULL, period_end INTEGER NOT NULL,
  vcpus INTEGER NOT NULL, memory_mb INTEGER NOT NULL, cpu_seconds REAL NOT NULL,
  memory_gb_seconds REAL NOT NULL, storage_gb REAL NOT NULL,
  network_ingress_bytes INTEGER NOT NULL, network_egress_bytes INTEGER NOT NULL,
  gpu_seconds REAL NOT NULL, created_at INTEGER NOT NULL,
  PRIMARY KEY (instance_id, period_start)
);
CREATE INDEX usage_records_start ON usage_records (period_start, instance_id);
CREATE INDEX usage_records_owner ON usage_records (owner, period_start);
CREATE TABLE webhooks (
  id TEXT PRIMARY KEY, owner TEXT NOT NULL, url TEXT NOT NULL, events_json TEXT NOT NULL,
  secret TEXT NOT NULL, created_at INTEGER NOT NULL
);
CREATE INDEX webhooks_owner ON webhooks (owner, id);
CREATE TABLE outbox (
  id TEXT PRIMARY KEY, webhook_id TEXT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
  event_type TEXT NOT NULL, payload_json TEXT NOT NULL, idempotency_key TEXT NOT NULL UNIQUE,
  attempts INTEGER NOT NULL, next_attempt_at INTEGER NOT NULL, state TEXT NOT NULL,
  last_error TEXT NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL
);
CREATE INDEX outbox_due ON outbox (state, next_attempt_at);
CREATE INDEX outbox_webhook ON outbox (webhook_id, id);
CREATE TABLE ledger (
  id TEXT PRIMARY KEY, address TEXT NOT NULL, amount_micro INTEGER NOT NULL,
  reason TEXT NOT NULL, period_start INTEGER, period_end INTEGER, instance_id TEXT,
  created_at INTEGER NOT NULL
);
CREATE INDEX ledger_address ON ledger (address, created_at, id);
CREATE UNIQUE INDEX ledger_usage_debit ON ledger (instance_id, period_start)
  WHERE instance_id IS NOT NULL AND period_start IS NOT NULL;
CREATE TABLE nonces (
  address TEXT NOT NULL, nonce TEXT NOT NULL, expires_at INTEGER NOT NULL,
  PRIMARY KEY (address, nonce)
);
CREATE INDEX nonces_expiry ON nonces (expires_at);
CREATE TABLE change_serials (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
INSERT INTO change_serials (name, value) VALUES ('dns', 1), ('mesh', 1);
)sql";

// Version 2: tenants' usage thresholds (ABI 3).
constexpr std::string_view kV2 = R"sql(
CREATE TABLE usage_thresholds (
  id TEXT PRIMARY KEY, owner TEXT NOT NULL, name TEXT NOT NULL, resource TEXT NOT NULL,
  kind TEXT NOT NULL, limit_value REAL NOT NULL, instance_id TEXT,
  created_at INTEGER NOT NULL,
  UNIQUE (owner, name)
);
CREATE INDEX usage_thresholds_owner ON usage_thresholds (owner, id);
)sql";

constexpr std::array kMigrations = {
    Migration{1, "initial schema", kV1},
    Migration{2, "usage thresholds", kV2},
};

}  // namespace

std::span<const Migration> migrations() { return kMigrations; }

int latest_schema_version() { return kMigrations.back().version; }

Result<int> read_schema_version(Connection& db) {
  auto exists = db.scalar(
      "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'");
  if (!exists.is_ok()) return exists.status();
  if (exists->value_or(0) == 0) return 0;
  auto version = db.scalar("SELECT MAX(version) FROM schema_migrations");
  if (!version.is_ok()) return version.status();
  return static_cast<int>(version->value_or(0));
}

Result<int> apply_migrations(Connection& db) {
  if (auto st = db.exec(kBookkeeping); !st.is_ok()) return st;
  for (const auto& migration : kMigrations) {
    if (auto st = db.exec("BEGIN IMMEDIATE"); !st.is_ok()) return st;
    // Read under the write lock: another process may have applied it meanwhile.
    auto current = read_schema_version(db);
    Status st = current.status();
    if (st.is_ok() && *current > latest_schema_version()) {
      st = Status::conflict("the database is at schema version " + std::to_string(*current) +
                            ", newer than this plugin knows (" +
                            std::to_string(latest_schema_version()) + ")");
    }
    if (st.is_ok() && *current < migration.version) {
      st = db.exec(migration.sql);
      if (st.is_ok()) {
        auto recorded =
            db.run("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                   {migration.version, migration.name, now()});
        st = recorded.status();
      }
      if (!st.is_ok()) {
        st = Status(st.code() == StatusCode::unavailable ? st.code() : StatusCode::internal,
                    "migration " + std::to_string(migration.version) + " (" +
                        std::string(migration.name) + ") failed: " + st.message());
      }
    }
    if (!st.is_ok()) {
      (void)db.exec("ROLLBACK");
      return st;
    }
    if (auto commit = db.exec("COMMIT"); !commit.is_ok()) {
      (void)db.exec("ROLLBACK");
      return commit;
    }
  }
  return read_schema_version(db);
}

}  // namespace formation::sqlite
