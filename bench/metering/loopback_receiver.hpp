// A webhook receiver on 127.0.0.1 for the delivery figure: one epoll thread, HTTP/1.1 with
// keep-alive, every request answered 200 with an empty body. It keeps only a count, so
// that the receiver costs as little as possible and the same for every client measured.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <string>
#include <thread>

namespace formation::bench {

class LoopbackReceiver {
 public:
  LoopbackReceiver();  // listening on a free port
  ~LoopbackReceiver();
  LoopbackReceiver(const LoopbackReceiver&) = delete;
  LoopbackReceiver& operator=(const LoopbackReceiver&) = delete;

  [[nodiscard]] std::string url() const;
  [[nodiscard]] std::size_t answered() const { return answered_; }
  // Waits until `count` requests were answered since the start; false on timeout.
  bool wait_answered(std::size_t count, std::chrono::milliseconds timeout);

 private:
  void loop();

  int listen_fd_ = -1;
  int epoll_fd_ = -1;
  int stop_fd_ = -1;  // an eventfd that ends the loop
  int port_ = 0;
  std::atomic<std::size_t> answered_{0};
  std::mutex mutex_;
  std::condition_variable changed_;
  std::thread thread_;
};

}  // namespace formation::bench
