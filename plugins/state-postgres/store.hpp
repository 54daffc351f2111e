// PgStore: the StateStore over a pool of PostgreSQL connections, and PgTransaction, one
// database transaction (READ COMMITTED; every racing write is a single conditional
// statement, a unique key, or takes a row lock).
#pragma once

#include <spdlog/logger.h>

#include <memory>

#include <formation/kinds/state_store.hpp>

#include "config.hpp"
#include "pool.hpp"
#include "repositories.hpp"

namespace formation::postgres {

class PgTransaction final : public Transaction {
 public:
  // Starts the transaction; throws what libpqxx throws when the connection is dead.
  PgTransaction(ConnectionPool& pool, std::unique_ptr<pqxx::connection> connection);
  ~PgTransaction() override;
  PgTransaction(const PgTransaction&) = delete;
  PgTransaction& operator=(const PgTransaction&) = delete;

  Status commit() override;
  Status rollback() override;

  AccountRepository& accounts() override { return accounts_; }
  GrantRepository& grants() override { return grants_; }
  InstanceRepository& instances() override { return instances_; }
  BuildRepository& builds() override { return builds_; }
  NodeRepository& nodes() override { return nodes_; }
  OperationRepository& operations() override { return operations_; }
  DnsRecordRepository& dns_records() override { return dns_; }
  MeshPeerRepository& mesh_peers() override { return mesh_; }
  UsageRepository& usage() override { return usage_; }
  WebhookRepository& webhooks() override { return webhooks_; }
  OutboxRepository& outbox() override { return outbox_; }
  LedgerRepository& ledger() override { return ledger_; }
  NonceRepository& nonces() override { return nonces_; }
  ThresholdRepository& thresholds() override { return thresholds_; }

 private:
  void end();

  ConnectionPool& pool_;
  std::unique_ptr<pqxx::connection> connection_;
  std::unique_ptr<pqxx::work> work_;
  TxnContext ctx_;
  PgAccounts accounts_{ctx_};
  PgGrants grants_{ctx_};
  PgInstances instances_{ctx_};
  PgBuilds builds_{ctx_};
  PgNodes nodes_{ctx_};
  PgOperations operations_{ctx_};
  PgDnsRecords dns_{ctx_};
  PgMeshPeers mesh_{ctx_};
  PgUsage usage_{ctx_};
  PgWebhooks webhooks_{ctx_};
  PgOutbox outbox_{ctx_};
  PgLedger ledger_{ctx_};
  PgNonces nonces_{ctx_};
  PgThresholds thresholds_{ctx_};
};

class PgStore final : public StateStore {
 public:
  PgStore(Config config, std::shared_ptr<spdlog::logger> logger);

  // Connects (unavailable naming host:port/db when it cannot) and applies migrations.
  Status start() override;
  void stop() override;
  // SELECT 1 on an idle pooled connection.
  [[nodiscard]] PluginHealth health() const override;

  Result<int> migrate() override;
  Result<int> schema_version() override;
  // After a server restart the pooled connections are dead: the first one that fails to
  // BEGIN is dropped and the transaction starts on a new connection, so the caller does
  // not see the restart (unavailable only while the server is really down).
  Result<std::unique_ptr<Transaction>> begin() override;

 private:
  std::shared_ptr<spdlog::logger> logger_;
  mutable ConnectionPool pool_;
};

}  // namespace formation::postgres
