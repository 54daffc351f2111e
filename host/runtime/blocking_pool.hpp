// A fixed set of threads for work that may block: plugin route handlers, event delivery,
// timer callbacks. Separate from the HTTP threads so a slow database never stalls accepts.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "formation/plugin.hpp"

namespace formation::host {

class ThreadPool final : public BlockingPool {
 public:
  explicit ThreadPool(unsigned threads);
  ~ThreadPool() override;
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  void post(std::function<void()> work) override;
  // Runs what is queued, then joins the threads; later posts are dropped.
  void shutdown();
  // Waits until nothing is queued or running (true), or `timeout` passed (false). Posts keep
  // being accepted, so work that posts more is waited for too.
  bool wait_idle(std::chrono::milliseconds timeout);

 private:
  void run();

  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable idle_;
  std::size_t running_ = 0;
  std::deque<std::function<void()>> queue_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace formation::host
