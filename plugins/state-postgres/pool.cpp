#include "pool.hpp"

#include <utility>

namespace formation::postgres {

ConnectionPool::ConnectionPool(Config config)
    : config_(std::move(config)), target_(describe_dsn(config_.dsn)) {}

ConnectionPool::~ConnectionPool() { close_idle(); }

Result<std::unique_ptr<pqxx::connection>> ConnectionPool::connect() {
  try {
    return std::make_unique<pqxx::connection>(conninfo_for(config_));
  } catch (const std::exception& e) {
    // libpq's messages name host and port, never the password.
    std::string why = e.what();
    while (!why.empty() && (why.back() == '\n' || why.back() == ' ')) why.pop_back();
    return Status::unavailable("cannot connect to PostgreSQL at " + target_ + ": " + why);
  }
}

Result<std::unique_ptr<pqxx::connection>> ConnectionPool::acquire(bool fresh) {
  std::unique_lock lock(mutex_);
  auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(config_.connect_timeout_s);
  for (;;) {
    if (!idle_.empty()) {
      auto connection = std::move(idle_.back());
      idle_.pop_back();
      if (!fresh) return connection;
      --open_;  // drop it: the caller wants a new one
      lock.unlock();
      connection.reset();
      lock.lock();
      continue;
    }
    if (open_ < config_.pool_size) {
      ++open_;
      lock.unlock();
      auto connection = connect();
      if (!connection.is_ok()) {
        lock.lock();
        --open_;
        freed_.notify_one();
      }
      return connection;
    }
    if (freed_.wait_until(lock, deadline) == std::cv_status::timeout && idle_.empty() &&
        open_ >= config_.pool_size) {
      return Status::unavailable("no PostgreSQL connection free within " +
                                 std::to_string(config_.connect_timeout_s) + " s (pool_size " +
                                 std::to_string(config_.pool_size) + ")");
    }
  }
}

std::unique_ptr<pqxx::connection> ConnectionPool::try_acquire_idle() {
  std::lock_guard lock(mutex_);
  if (idle_.empty()) return nullptr;
  auto connection = std::move(idle_.back());
  idle_.pop_back();
  return connection;
}

void ConnectionPool::release(std::unique_ptr<pqxx::connection> connection, bool broken) {
  if (!connection) return;
  if (broken || !connection->is_open()) {
    connection.reset();
    std::lock_guard lock(mutex_);
    --open_;
  } else {
    std::lock_guard lock(mutex_);
    idle_.push_back(std::move(connection));
  }
  freed_.notify_one();
}

void ConnectionPool::close_idle() {
  std::vector<std::unique_ptr<pqxx::connection>> closing;
  {
    std::lock_guard lock(mutex_);
    closing.swap(idle_);
    open_ -= static_cast<int>(closing.size());
  }
}

}  // namespace formation::postgres
