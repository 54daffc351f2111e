// state-sqlite: the embedded StateStore (DESIGN.md §4) — one SQLite file under the
// plugin's data dir, in WAL mode, migrated at start. See README.md.
#include <formation/kinds/state_store.hpp>
#include <formation/plugin.hpp>

#include <memory>
#include <mutex>
#include <string>

#include "db.hpp"
#include "migrations.hpp"
#include "settings.hpp"
#include "transaction.hpp"

namespace formation::sqlite {
namespace {

// JSON Schema (draft-04) of "parameters"; the host fills in the defaults.
constexpr const char* kParametersSchema = R"({
  "type": "object",
  "additionalProperties": false,
  "properties": {
    "path": {"type": "string", "minLength": 1, "default": "state.sqlite3",
             "description": "Database file; a relative path is under the plugin's data dir."},
    "busy_timeout_ms": {"type": "integer", "minimum": 0, "maximum": 600000, "default": 5000,
                        "description": "How long a transaction waits for SQLite's write lock before answering unavailable."}
  }
})";

class SqliteStore final : public StateStore {
 public:
  explicit SqliteStore(HostServices& host)
      : log_(host.logger()), options_(options_from(host.parameters(), host.data_dir())) {}

  Status start() override {
    pool_ = std::make_shared<ConnectionPool>(options_);
    auto health = Connection::open(options_);
    if (!health.is_ok()) return health.status();
    health_ = std::move(health).value();
    auto version = migrate();
    if (!version.is_ok()) return version.status();
    log_->info("state in {} (schema version {}, WAL)", options_.path.string(), *version);
    return Status::ok();
  }

  void stop() override {
    std::lock_guard lock(health_mutex_);
    health_.reset();
    pool_.reset();  // open transactions keep their own reference
  }

  [[nodiscard]] PluginHealth health() const override {
    std::lock_guard lock(health_mutex_);
    if (!health_) return {HealthState::down, "not started"};
    auto one = health_->scalar("SELECT 1");
    if (!one.is_ok()) return {HealthState::down, one.status().message()};
    return {HealthState::ok, "wal"};
  }

  Result<int> migrate() override {
    auto pool = pool_;
    if (!pool) return Status::unavailable("state-sqlite is not started");
    auto conn = pool->acquire();
    if (!conn.is_ok()) return conn.status();
    auto version = apply_migrations(**conn);
    if (version.is_ok()) pool->release(std::move(conn).value());
    return version;
  }

  Result<int> schema_version() override {
    auto pool = pool_;
    if (!pool) return Status::unavailable("state-sqlite is not started");
    auto conn = pool->acquire();
    if (!conn.is_ok()) return conn.status();
    auto version = read_schema_version(**conn);
    pool->release(std::move(conn).value());
    return version;
  }

  Result<std::unique_ptr<Transaction>> begin() override {
    auto pool = pool_;
    if (!pool) return Status::unavailable("state-sqlite is not started");
    return begin_transaction(std::move(pool));
  }

 private:
  std::shared_ptr<spdlog::logger> log_;
  ConnectionOptions options_;
  std::shared_ptr<ConnectionPool> pool_;
  mutable std::mutex health_mutex_;
  std::unique_ptr<Connection> health_;
};

Result<std::unique_ptr<Plugin>> create(HostServices& host) {
  return std::unique_ptr<Plugin>(std::make_unique<SqliteStore>(host));
}

const PluginDescriptor* describe() {
  static const PluginDescriptor descriptor{
      .abi = FORMATION_PLUGIN_ABI,
      .name = "state-sqlite",
      .kind = PluginKind::state_store,
      .version = "0.1.0",
      .description = "StateStore in one SQLite file under the data dir (WAL); the embedded default",
      .parameters_schema = kParametersSchema,
      .depends_on = {},
      .create = &create,
  };
  return &descriptor;
}

}  // namespace
}  // namespace formation::sqlite

FORMATION_PLUGIN(formation::sqlite::describe)
