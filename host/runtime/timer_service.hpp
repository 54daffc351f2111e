// Timers for plugins: one scheduler thread keeps the deadlines, callbacks run on the
// blocking pool. A periodic timer is re-armed only after its callback returns, so a
// callback never overlaps itself.
#pragma once

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>

#include "formation/plugin.hpp"

namespace formation::host {

class TimerService final : public Timers {
 public:
  explicit TimerService(BlockingPool& pool);
  ~TimerService() override;
  TimerService(const TimerService&) = delete;
  TimerService& operator=(const TimerService&) = delete;

  TimerId after(std::chrono::milliseconds delay, std::function<void()> callback) override;
  TimerId every(std::chrono::milliseconds period, std::function<void()> callback) override;
  void cancel(TimerId id) override;
  void shutdown();

 private:
  using Clock = std::chrono::steady_clock;
  struct Timer {
    Clock::time_point due;
    std::chrono::milliseconds period{0};  // zero: one-shot
    std::shared_ptr<std::function<void()>> callback;
    bool running = false;
  };
  TimerId add(std::chrono::milliseconds delay, std::chrono::milliseconds period,
              std::function<void()> callback);
  void run();
  void finished(TimerId id);

  BlockingPool& pool_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::map<TimerId, Timer> timers_;
  TimerId next_id_ = 1;
  bool stopping_ = false;
  std::thread scheduler_;
};

}  // namespace formation::host
