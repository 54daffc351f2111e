#include "runtime/timer_service.hpp"

#include <algorithm>

namespace formation::host {

TimerService::TimerService(BlockingPool& pool) : pool_(pool), scheduler_([this] { run(); }) {}

TimerService::~TimerService() { shutdown(); }

TimerId TimerService::after(std::chrono::milliseconds delay, std::function<void()> callback) {
  return add(delay, std::chrono::milliseconds{0}, std::move(callback));
}

TimerId TimerService::every(std::chrono::milliseconds period, std::function<void()> callback) {
  return add(period, std::max(period, std::chrono::milliseconds{1}), std::move(callback));
}

TimerId TimerService::add(std::chrono::milliseconds delay, std::chrono::milliseconds period,
                          std::function<void()> callback) {
  std::lock_guard lock(mutex_);
  auto id = next_id_++;
  timers_[id] = Timer{Clock::now() + delay, period,
                      std::make_shared<std::function<void()>>(std::move(callback)), false};
  wake_.notify_all();
  return id;
}

void TimerService::cancel(TimerId id) {
  std::lock_guard lock(mutex_);
  timers_.erase(id);
  wake_.notify_all();
}

void TimerService::shutdown() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    timers_.clear();
  }
  wake_.notify_all();
  if (scheduler_.joinable()) scheduler_.join();
}

void TimerService::finished(TimerId id) {
  std::lock_guard lock(mutex_);
  auto it = timers_.find(id);
  if (it == timers_.end()) return;
  if (it->second.period.count() == 0) {
    timers_.erase(it);
  } else {
    it->second.running = false;
    it->second.due = Clock::now() + it->second.period;
  }
  wake_.notify_all();
}

void TimerService::run() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    auto next = Clock::time_point::max();
    auto now = Clock::now();
    for (auto& [id, timer] : timers_) {
      if (timer.running) continue;
      if (timer.due <= now) {
        timer.running = true;
        pool_.post([this, id = id, callback = timer.callback] {
          try {
            (*callback)();
          } catch (...) {
            finished(id);
            throw;  // the pool logs it
          }
          finished(id);
        });
      } else {
        next = std::min(next, timer.due);
      }
    }
    if (next == Clock::time_point::max()) {
      wake_.wait(lock);
    } else {
      wake_.wait_until(lock, next);
    }
  }
}

}  // namespace formation::host
