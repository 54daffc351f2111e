// Connections shared by the transactions of one store, and the Transaction itself: one
// pooled connection inside BEGIN IMMEDIATE, so writers queue on SQLite's write lock (for up
// to busy_timeout) instead of deadlocking on a read-to-write upgrade.
#pragma once

#include <memory>
#include <mutex>
#include <vector>

#include <formation/kinds/state_store.hpp>

#include "db.hpp"

namespace formation::sqlite {

class ConnectionPool {
 public:
  explicit ConnectionPool(ConnectionOptions options) : options_(std::move(options)) {}
  // An idle connection, or a new one.
  Result<std::unique_ptr<Connection>> acquire();
  // Keeps it for the next transaction (a few are kept; the rest are closed).
  void release(std::unique_ptr<Connection> connection);
  [[nodiscard]] const ConnectionOptions& options() const { return options_; }

 private:
  ConnectionOptions options_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<Connection>> idle_;
};

// Opens a transaction on a pooled connection.
Result<std::unique_ptr<Transaction>> begin_transaction(std::shared_ptr<ConnectionPool> pool);

}  // namespace formation::sqlite
