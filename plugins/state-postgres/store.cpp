#include "store.hpp"

#include "migrations.hpp"

namespace formation::postgres {

PgTransaction::PgTransaction(ConnectionPool& pool, std::unique_ptr<pqxx::connection> connection)
    : pool_(pool), connection_(std::move(connection)) {
  try {
    work_ = std::make_unique<pqxx::work>(*connection_);
  } catch (...) {
    pool_.release(std::move(connection_), true);  // frees its slot in the pool
    throw;
  }
  ctx_.work = work_.get();
}

PgTransaction::~PgTransaction() { (void)rollback(); }

void PgTransaction::end() {
  ctx_.work = nullptr;
  try {
    work_.reset();
  } catch (...) {
    ctx_.broken = true;
  }
  pool_.release(std::move(connection_), ctx_.broken);
}

Status PgTransaction::commit() {
  if (ctx_.work == nullptr) return Status::invalid("the transaction has already ended");
  Status status;
  try {
    work_->commit();
  } catch (...) {
    status = current_exception_status(ctx_.broken);
    if (status.code() == StatusCode::unavailable) {
      status = Status::unavailable("commit failed, nothing was committed: " + status.message());
    }
  }
  end();
  return status;
}

Status PgTransaction::rollback() {
  if (ctx_.work == nullptr) return Status::ok();
  try {
    work_->abort();
  } catch (...) {
    ctx_.broken = true;
  }
  end();
  return Status::ok();
}

PgStore::PgStore(Config config, std::shared_ptr<spdlog::logger> logger)
    : logger_(std::move(logger)), pool_(std::move(config)) {}

Status PgStore::start() {
  logger_->info("connecting to PostgreSQL at {} (pool_size {}, statement_timeout {} ms)",
                pool_.target(), pool_.config().pool_size, pool_.config().statement_timeout_ms);
  auto version = migrate();
  if (!version.is_ok()) return version.status();
  logger_->info("schema at version {}", *version);
  return Status::ok();
}

void PgStore::stop() { pool_.close_idle(); }

PluginHealth PgStore::health() const {
  auto connection = pool_.try_acquire_idle();
  if (!connection) return {HealthState::ok, "every pooled connection is in use"};
  try {
    pqxx::nontransaction probe(*connection);
    probe.exec("SELECT 1");
    pool_.release(std::move(connection), false);
    return {HealthState::ok, "PostgreSQL at " + pool_.target()};
  } catch (const std::exception& e) {
    pool_.release(std::move(connection), true);
    return {HealthState::down, "PostgreSQL at " + pool_.target() + " does not answer"};
  }
}

Result<int> PgStore::migrate() {
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto connection = pool_.acquire(attempt > 0);
    if (!connection.is_ok()) return connection.status();
    Lease lease(pool_, std::move(connection).value());
    try {
      auto version = apply_migrations(*lease);
      if (!version.is_ok()) return version.status();
      return *version;
    } catch (const pqxx::broken_connection&) {
      lease.broken = true;  // a dead pooled connection: retry once on a new one
    } catch (...) {
      auto status = current_exception_status(lease.broken);
      if (status.code() == StatusCode::internal) {
        return Status::internal("a migration failed and was rolled back: " + status.message());
      }
      return status;
    }
  }
  return Status::unavailable("PostgreSQL at " + pool_.target() + " keeps dropping connections");
}

Result<int> PgStore::schema_version() {
  auto connection = pool_.acquire();
  if (!connection.is_ok()) return connection.status();
  Lease lease(pool_, std::move(connection).value());
  try {
    return read_schema_version(*lease);
  } catch (...) {
    return current_exception_status(lease.broken);
  }
}

Result<std::unique_ptr<Transaction>> PgStore::begin() {
  Status last;
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto connection = pool_.acquire(attempt > 0);
    if (!connection.is_ok()) return connection.status();
    try {
      return std::unique_ptr<Transaction>(
          std::make_unique<PgTransaction>(pool_, std::move(connection).value()));
    } catch (...) {
      bool broken = false;
      last = current_exception_status(broken);
      if (!broken) return last;
    }
  }
  return last;
}

}  // namespace formation::postgres
