#include "migrations.hpp"

#include <array>
#include <string>

#include "sql.hpp"

namespace formation::postgres {
namespace {

// Any constant: "formation" in ASCII, shared by every host of one database.
constexpr std::int64_t kMigrationLock = 0x666f726d6174696f;

// Timestamps are unix milliseconds (bigint). Every mutable row carries `version`.
// Text columns sort bytewise (COLLATE "C") whatever the database locale, so pages are
// ordered as in state-sqlite. No foreign keys: the repositories check existence where the interface
// asks for it.
constexpr const char* kMigration1 = R"SQL(
CREATE TABLE accounts (
  address text COLLATE "C" PRIMARY KEY, name text COLLATE "C" NOT NULL, plan text COLLATE "C" NOT NULL,
  created_at bigint NOT NULL, updated_at bigint NOT NULL, version bigint NOT NULL);

CREATE TABLE instances (
  id text COLLATE "C" PRIMARY KEY, name text COLLATE "C" NOT NULL, owner text COLLATE "C" NOT NULL, build_id text COLLATE "C" NOT NULL,
  node_id text COLLATE "C" NOT NULL, state text COLLATE "C" NOT NULL, desired_state text COLLATE "C" NOT NULL,
  vcpus bigint NOT NULL, memory_mb bigint NOT NULL, disk_gb bigint NOT NULL,
  extra_disks_gb bigint[] NOT NULL, formnet_ip text COLLATE "C", dns_name text COLLATE "C" NOT NULL,
  error text COLLATE "C" NOT NULL, created_at bigint NOT NULL, updated_at bigint NOT NULL,
  version bigint NOT NULL);
CREATE INDEX instances_owner ON instances (owner, id);
CREATE INDEX instances_node ON instances (node_id, id);

CREATE TABLE grants (
  instance_id text COLLATE "C" NOT NULL, address text COLLATE "C" NOT NULL, level text COLLATE "C" NOT NULL,
  granted_by text COLLATE "C" NOT NULL, created_at bigint NOT NULL, updated_at bigint NOT NULL,
  PRIMARY KEY (instance_id, address));
CREATE INDEX grants_address ON grants (address);

CREATE TABLE builds (
  build_id text COLLATE "C" PRIMARY KEY, owner text COLLATE "C" NOT NULL, name text COLLATE "C" NOT NULL, state text COLLATE "C" NOT NULL,
  reason text COLLATE "C" NOT NULL, manifest_json text COLLATE "C" NOT NULL, seed_iso text COLLATE "C" NOT NULL,
  context_tarball text COLLATE "C" NOT NULL, base_image text COLLATE "C" NOT NULL, node_id text COLLATE "C" NOT NULL,
  created_at bigint NOT NULL, updated_at bigint NOT NULL, version bigint NOT NULL);
CREATE INDEX builds_owner ON builds (owner, build_id);

CREATE TABLE nodes (
  id text COLLATE "C" PRIMARY KEY, region text COLLATE "C" NOT NULL, public_ip text COLLATE "C" NOT NULL, endpoint text COLLATE "C" NOT NULL,
  capacity_vcpus bigint NOT NULL, capacity_memory_mb bigint NOT NULL,
  capacity_disk_gb bigint NOT NULL, allocated_vcpus bigint NOT NULL,
  allocated_memory_mb bigint NOT NULL, allocated_disk_gb bigint NOT NULL,
  heartbeat_at bigint NOT NULL, created_at bigint NOT NULL, updated_at bigint NOT NULL,
  version bigint NOT NULL);

CREATE TABLE operations (
  id text COLLATE "C" PRIMARY KEY, kind text COLLATE "C" NOT NULL, target_id text COLLATE "C" NOT NULL, owner text COLLATE "C" NOT NULL,
  state text COLLATE "C" NOT NULL, progress integer NOT NULL, message text COLLATE "C" NOT NULL,
  result_json text COLLATE "C" NOT NULL, error_code text COLLATE "C" NOT NULL, error_message text COLLATE "C" NOT NULL,
  created_at bigint NOT NULL, updated_at bigint NOT NULL, version bigint NOT NULL);
CREATE INDEX operations_state ON operations (state, id);

CREATE TABLE dns_records (
  fqdn text COLLATE "C" NOT NULL, type text COLLATE "C" NOT NULL, record_values text[] NOT NULL, ttl bigint NOT NULL,
  owner text COLLATE "C" NOT NULL, instance_id text COLLATE "C", verified boolean NOT NULL,
  verification_token text COLLATE "C" NOT NULL, created_at bigint NOT NULL, updated_at bigint NOT NULL,
  version bigint NOT NULL, PRIMARY KEY (fqdn, type));
CREATE INDEX dns_records_instance ON dns_records (instance_id);

CREATE TABLE mesh_peers (
  id text COLLATE "C" PRIMARY KEY, kind text COLLATE "C" NOT NULL, owner text COLLATE "C" NOT NULL, public_key text COLLATE "C" NOT NULL,
  address text COLLATE "C" NOT NULL UNIQUE, endpoints text[] NOT NULL, node_id text COLLATE "C" NOT NULL,
  instance_id text COLLATE "C", created_at bigint NOT NULL, updated_at bigint NOT NULL,
  version bigint NOT NULL);
CREATE UNIQUE INDEX mesh_peers_public_key ON mesh_peers (public_key) WHERE public_key <> '';

CREATE TABLE change_serials (name text COLLATE "C" PRIMARY KEY, value bigint NOT NULL);
INSERT INTO change_serials VALUES ('dns', 1), ('mesh', 1);

CREATE TABLE usage_records (
  instance_id text COLLATE "C" NOT NULL, owner text COLLATE "C" NOT NULL, period_start bigint NOT NULL,
  period_end bigint NOT NULL, vcpus bigint NOT NULL, memory_mb bigint NOT NULL,
  cpu_seconds double precision NOT NULL, memory_gb_seconds double precision NOT NULL,
  storage_gb double precision NOT NULL, network_ingress_bytes bigint NOT NULL,
  network_egress_bytes bigint NOT NULL, gpu_seconds double precision NOT NULL,
  created_at bigint NOT NULL, PRIMARY KEY (instance_id, period_start));
CREATE INDEX usage_records_start ON usage_records (period_start, instance_id);

CREATE TABLE webhooks (
  id text COLLATE "C" PRIMARY KEY, owner text COLLATE "C" NOT NULL, url text COLLATE "C" NOT NULL, events text[] NOT NULL,
  secret text COLLATE "C" NOT NULL, created_at bigint NOT NULL);
CREATE INDEX webhooks_owner ON webhooks (owner, id);

CREATE TABLE outbox (
  id text COLLATE "C" PRIMARY KEY, webhook_id text COLLATE "C" NOT NULL, event_type text COLLATE "C" NOT NULL,
  payload_json text COLLATE "C" NOT NULL, idempotency_key text COLLATE "C" NOT NULL UNIQUE, attempts bigint NOT NULL,
  next_attempt_at bigint NOT NULL, state text COLLATE "C" NOT NULL, last_error text COLLATE "C" NOT NULL,
  created_at bigint NOT NULL, updated_at bigint NOT NULL);
CREATE INDEX outbox_due ON outbox (state, next_attempt_at);
CREATE INDEX outbox_webhook ON outbox (webhook_id, id);

CREATE TABLE ledger (
  seq bigserial PRIMARY KEY, id text COLLATE "C" NOT NULL UNIQUE, address text COLLATE "C" NOT NULL,
  amount_micro bigint NOT NULL, reason text COLLATE "C" NOT NULL, period_start bigint, period_end bigint,
  instance_id text COLLATE "C", created_at bigint NOT NULL);
CREATE INDEX ledger_address ON ledger (address, seq);
CREATE UNIQUE INDEX ledger_usage_debit ON ledger (instance_id, period_start)
  WHERE instance_id IS NOT NULL AND period_start IS NOT NULL;

CREATE TABLE nonces (
  address text COLLATE "C" NOT NULL, nonce text COLLATE "C" NOT NULL, expires_at bigint NOT NULL,
  PRIMARY KEY (address, nonce));
CREATE INDEX nonces_expiry ON nonces (expires_at);
)SQL";

// Version 2: tenants' usage thresholds (ABI 3).
constexpr const char* kMigration2 = R"SQL(
CREATE TABLE usage_thresholds (
  id text COLLATE "C" PRIMARY KEY, owner text COLLATE "C" NOT NULL, name text COLLATE "C" NOT NULL,
  resource text COLLATE "C" NOT NULL, kind text COLLATE "C" NOT NULL,
  limit_value double precision NOT NULL, instance_id text COLLATE "C", created_at bigint NOT NULL,
  UNIQUE (owner, name));
CREATE INDEX usage_thresholds_owner ON usage_thresholds (owner, id);
)SQL";

constexpr std::array kMigrations = {kMigration1, kMigration2};

void lock_and_prepare(pqxx::work& work) {
  work.exec("SELECT pg_advisory_xact_lock(" + std::to_string(kMigrationLock) + ")");
  work.exec(
      "CREATE TABLE IF NOT EXISTS schema_migrations ("
      "version integer PRIMARY KEY, applied_at bigint NOT NULL)");
}

int current_version(pqxx::work& work) {
  auto r = work.exec("SELECT coalesce(max(version), 0) FROM schema_migrations");
  return r[0][0].as<int>();
}

}  // namespace

int latest_schema_version() { return static_cast<int>(kMigrations.size()); }

Result<int> apply_migrations(pqxx::connection& connection) {
  for (int target = 1; target <= latest_schema_version(); ++target) {
    pqxx::work work(connection);
    lock_and_prepare(work);
    int at = current_version(work);
    if (at > latest_schema_version()) {
      return Status::conflict("the database schema is at version " + std::to_string(at) +
                              "; this state-postgres knows up to " +
                              std::to_string(latest_schema_version()));
    }
    if (at >= target) continue;  // another host applied it; rolls back the empty work
    work.exec(kMigrations.at(static_cast<std::size_t>(target - 1)));
    Params p;
    auto sql = "INSERT INTO schema_migrations (version, applied_at) VALUES (" + p.add(target) +
               "::integer, " + p.add(now()) + ")";
    exec(work, sql, p);
    work.commit();
  }
  return read_schema_version(connection);
}

int read_schema_version(pqxx::connection& connection) {
  pqxx::read_transaction work(connection);
  auto exists = work.exec("SELECT to_regclass('schema_migrations') IS NOT NULL");
  if (!exists[0][0].as<bool>()) return 0;
  return work.exec("SELECT coalesce(max(version), 0) FROM schema_migrations")[0][0].as<int>();
}

}  // namespace formation::postgres
