// ThreadPool::wait_idle, which shutdown relies on so that queued outbox writes reach the
// store before the plugins stop: it waits for queued and running work, including work that
// posts more, and gives up at its timeout while something still runs.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <thread>

#include "runtime/blocking_pool.hpp"

namespace formation::host {
namespace {

using namespace std::chrono_literals;

TEST(BlockingPool, WaitIdleWaitsForQueuedWorkAndWhatItPosts) {
  ThreadPool pool(2);
  std::atomic<int> done{0};
  for (int i = 0; i < 10; ++i) {
    pool.post([&] {
      std::this_thread::sleep_for(5ms);
      pool.post([&] { ++done; });  // follow-up work, queued while the pool is busy
      ++done;
    });
  }
  EXPECT_TRUE(pool.wait_idle(10s));
  EXPECT_EQ(done.load(), 20);
}

TEST(BlockingPool, WaitIdleGivesUpWhileWorkStillRuns) {
  ThreadPool pool(1);
  std::promise<void> release;
  auto released = release.get_future().share();
  pool.post([released] { released.wait(); });
  EXPECT_FALSE(pool.wait_idle(50ms));
  release.set_value();
  EXPECT_TRUE(pool.wait_idle(10s));
}

TEST(BlockingPool, AnIdlePoolIsIdleAtOnce) {
  ThreadPool pool(2);
  EXPECT_TRUE(pool.wait_idle(0ms));
}

}  // namespace
}  // namespace formation::host
