#include "runtime/blocking_pool.hpp"

#include <exception>

#include <spdlog/spdlog.h>

namespace formation::host {

ThreadPool::ThreadPool(unsigned threads) {
  if (threads == 0) threads = 1;
  threads_.reserve(threads);
  for (unsigned i = 0; i < threads; ++i) threads_.emplace_back([this] { run(); });
}

ThreadPool::~ThreadPool() { shutdown(); }

void ThreadPool::post(std::function<void()> work) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    queue_.push_back(std::move(work));
  }
  wake_.notify_one();
}

void ThreadPool::shutdown() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ && threads_.empty()) return;
    stopping_ = true;
  }
  wake_.notify_all();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

bool ThreadPool::wait_idle(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return idle_.wait_for(lock, timeout, [this] { return queue_.empty() && running_ == 0; });
}

void ThreadPool::run() {
  for (;;) {
    std::function<void()> work;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;
      work = std::move(queue_.front());
      queue_.pop_front();
      ++running_;
    }
    // A plugin's exception must not take the pool down with it.
    try {
      work();
    } catch (const std::exception& e) {
      spdlog::error("uncaught exception in blocking work: {}", e.what());
    } catch (...) {
      spdlog::error("uncaught non-standard exception in blocking work");
    }
    work = nullptr;  // what it captured goes before it counts as done
    {
      const std::lock_guard lock(mutex_);
      --running_;
      if (running_ == 0 && queue_.empty()) idle_.notify_all();
    }
  }
}

}  // namespace formation::host
