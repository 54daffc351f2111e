#include "transaction.hpp"

#include "repositories.hpp"

namespace formation::sqlite {

namespace {
constexpr std::size_t kMaxIdle = 8;
}  // namespace

Result<std::unique_ptr<Connection>> ConnectionPool::acquire() {
  {
    std::lock_guard lock(mutex_);
    if (!idle_.empty()) {
      auto conn = std::move(idle_.back());
      idle_.pop_back();
      return conn;
    }
  }
  return Connection::open(options_);
}

void ConnectionPool::release(std::unique_ptr<Connection> connection) {
  std::lock_guard lock(mutex_);
  if (idle_.size() < kMaxIdle) idle_.push_back(std::move(connection));
}

namespace {

class SqliteTransaction final : public Transaction {
 public:
  SqliteTransaction(std::shared_ptr<ConnectionPool> pool, std::unique_ptr<Connection> db)
      : pool_(std::move(pool)), db_(std::move(db)) {}

  ~SqliteTransaction() override { (void)rollback(); }
  SqliteTransaction(const SqliteTransaction&) = delete;
  SqliteTransaction& operator=(const SqliteTransaction&) = delete;

  Status commit() override {
    if (!db_) return Status::invalid("the transaction already ended");
    auto st = db_->exec("COMMIT");
    if (!st.is_ok()) {
      (void)db_->exec("ROLLBACK");
      finish(false);
      return with_context(st, "commit");
    }
    finish(true);
    return Status::ok();
  }

  Status rollback() override {
    if (!db_) return Status::ok();
    auto st = db_->exec("ROLLBACK");
    finish(st.is_ok());
    return st;
  }

  AccountRepository& accounts() override { return lazy(accounts_, make_account_repository); }
  GrantRepository& grants() override { return lazy(grants_, make_grant_repository); }
  InstanceRepository& instances() override { return lazy(instances_, make_instance_repository); }
  BuildRepository& builds() override { return lazy(builds_, make_build_repository); }
  NodeRepository& nodes() override { return lazy(nodes_, make_node_repository); }
  OperationRepository& operations() override {
    return lazy(operations_, make_operation_repository);
  }
  DnsRecordRepository& dns_records() override { return lazy(dns_, make_dns_record_repository); }
  MeshPeerRepository& mesh_peers() override { return lazy(mesh_, make_mesh_peer_repository); }
  UsageRepository& usage() override { return lazy(usage_, make_usage_repository); }
  WebhookRepository& webhooks() override { return lazy(webhooks_, make_webhook_repository); }
  OutboxRepository& outbox() override { return lazy(outbox_, make_outbox_repository); }
  LedgerRepository& ledger() override { return lazy(ledger_, make_ledger_repository); }
  ThresholdRepository& thresholds() override {
    return lazy(thresholds_, make_threshold_repository);
  }
  NonceRepository& nonces() override { return lazy(nonces_, make_nonce_repository); }

 private:
  template <typename R>
  R& lazy(std::unique_ptr<R>& slot, std::unique_ptr<R> (*make)(Connection&)) {
    if (!slot) slot = make(*connection_);
    return *slot;
  }

  // Gives the connection back (only a clean one is reused).
  void finish(bool reusable) {
    if (reusable) {
      pool_->release(std::move(db_));
    } else {
      db_.reset();
    }
  }

  std::shared_ptr<ConnectionPool> pool_;
  std::unique_ptr<Connection> db_;
  // Repositories keep a reference to the connection; it stays valid (a closed transaction's
  // repositories must not be used, per the interface).
  Connection* connection_ = db_.get();
  std::unique_ptr<AccountRepository> accounts_;
  std::unique_ptr<GrantRepository> grants_;
  std::unique_ptr<InstanceRepository> instances_;
  std::unique_ptr<BuildRepository> builds_;
  std::unique_ptr<NodeRepository> nodes_;
  std::unique_ptr<OperationRepository> operations_;
  std::unique_ptr<DnsRecordRepository> dns_;
  std::unique_ptr<MeshPeerRepository> mesh_;
  std::unique_ptr<UsageRepository> usage_;
  std::unique_ptr<WebhookRepository> webhooks_;
  std::unique_ptr<OutboxRepository> outbox_;
  std::unique_ptr<LedgerRepository> ledger_;
  std::unique_ptr<ThresholdRepository> thresholds_;
  std::unique_ptr<NonceRepository> nonces_;
};

}  // namespace

Result<std::unique_ptr<Transaction>> begin_transaction(std::shared_ptr<ConnectionPool> pool) {
  auto conn = pool->acquire();
  if (!conn.is_ok()) return conn.status();
  // Waits up to busy_timeout for the write lock; then unavailable (the caller may retry).
  if (auto st = (*conn)->exec("BEGIN IMMEDIATE"); !st.is_ok()) {
    if (st.code() == StatusCode::unavailable) return st;
    return Status::unavailable("cannot begin a transaction: " + st.message());
  }
  return std::unique_ptr<Transaction>(
      std::make_unique<SqliteTransaction>(std::move(pool), std::move(conn).value()));
}

}  // namespace formation::sqlite
