// A real HTTP receiver for webhook tests, on 127.0.0.1: plain sockets, one thread per
// connection, every answer "Connection: close". It records what it was sent and answers as
// its mode says: 200, 503, slowly (past the deliverer's timeout), 200 after holding the
// request for `slow_for` (a receiver that is up but slow) or with bytes that are not HTTP. It can
// be down (nothing listens on its port) and come up again on the same port.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace formation::testing {

struct ReceivedRequest {
  std::string target;
  std::map<std::string, std::string> headers;  // names lower case
  std::string body;
};

class Receiver {
 public:
  enum class Mode { ok, fail, slow, slow_ok, garbage };

  Receiver();  // picks a free port, not yet listening
  ~Receiver();
  Receiver(const Receiver&) = delete;
  Receiver& operator=(const Receiver&) = delete;

  void up();
  void down();
  void set_mode(Mode mode) { mode_ = mode; }
  void set_slow_for(std::chrono::milliseconds d) { slow_for_ = d; }

  [[nodiscard]] int port() const { return port_; }
  [[nodiscard]] std::string url(const std::string& path = "/hook") const;
  // Requests answered 2xx, in order.
  std::vector<ReceivedRequest> delivered();
  // Every request that reached it (answered or not), in order of arrival.
  std::vector<ReceivedRequest> arrived();
  [[nodiscard]] int seen() const { return seen_; }
  // Waits until `count` requests were answered 2xx; false on timeout.
  bool wait_delivered(std::size_t count, std::chrono::milliseconds timeout);

 private:
  void accept_loop(int fd);
  void serve(int client);

  int port_ = 0;
  int listen_fd_ = -1;
  std::atomic<Mode> mode_{Mode::ok};
  std::atomic<std::chrono::milliseconds> slow_for_{std::chrono::milliseconds(3000)};
  std::atomic<int> seen_{0};
  std::thread acceptor_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<ReceivedRequest> delivered_;
  std::vector<ReceivedRequest> arrived_;
  std::vector<std::thread> connections_;
};

}  // namespace formation::testing
