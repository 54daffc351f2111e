// A fixed-size pool of libpqxx connections. A connection that lost its server (the server
// restarted, the network dropped) is discarded when it is handed back broken, and a new one
// is opened on the next acquire; begin() in store.cpp retries once on a fresh connection
// when an idle one turns out to be dead, so the first use after a restart succeeds.
#pragma once

#include <pqxx/pqxx>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <formation/status.hpp>

#include "config.hpp"

namespace formation::postgres {

class ConnectionPool {
 public:
  explicit ConnectionPool(Config config);
  ~ConnectionPool();
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;

  // An idle connection, or a new one while fewer than pool_size are open; otherwise waits
  // up to connect_timeout_s. `fresh` skips idle connections (closing them): used to retry
  // after an idle connection proved dead. unavailable when none can be had.
  Result<std::unique_ptr<pqxx::connection>> acquire(bool fresh = false);
  // An idle connection without waiting or connecting; nullptr when there is none.
  std::unique_ptr<pqxx::connection> try_acquire_idle();
  // Hands a connection back; a broken one is closed and its slot freed.
  void release(std::unique_ptr<pqxx::connection> connection, bool broken);
  // Closes every idle connection (at stop).
  void close_idle();

  [[nodiscard]] const std::string& target() const { return target_; }
  [[nodiscard]] const Config& config() const { return config_; }

 private:
  Result<std::unique_ptr<pqxx::connection>> connect();

  Config config_;
  std::string target_;  // host:port/db, for messages
  std::mutex mutex_;
  std::condition_variable freed_;
  std::vector<std::unique_ptr<pqxx::connection>> idle_;
  int open_ = 0;  // connections alive, idle or lent out
};

// A connection borrowed from the pool for one transaction; returned when destroyed.
class Lease {
 public:
  Lease(ConnectionPool& pool, std::unique_ptr<pqxx::connection> connection)
      : pool_(pool), connection_(std::move(connection)) {}
  ~Lease() { pool_.release(std::move(connection_), broken); }
  Lease(const Lease&) = delete;
  Lease& operator=(const Lease&) = delete;

  pqxx::connection& operator*() { return *connection_; }
  bool broken = false;

 private:
  ConnectionPool& pool_;
  std::unique_ptr<pqxx::connection> connection_;
};

}  // namespace formation::postgres
