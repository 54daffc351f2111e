// What both connectors (unix_connector.hpp, http_connector.hpp) do the same way around
// their own protocol: accept on a listening socket, serve each connection on its own
// thread, and end them all through one stop event. A wait is either a poll() that also
// watches that eventfd, or a blocking read on the connection, which stop() ends with
// shutdown(); each connection's socket is closed by its own thread.
#pragma once

#include <spdlog/logger.h>

#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace formation::dns_powerdns {

// The system's text for errno value `error`.
std::string os_error(int error);

// Waits until `fd` is ready for `events` (or has hung up); false once `stop_fd` is readable.
bool wait_ready(int fd, short events, int stop_fd);

class ConnectionThreads {
 public:
  // Serves one accepted connection `fd` until it ends or wait_ready() on `stop_fd` says
  // stop; the socket is closed after it returns.
  using Serve = std::function<void(int fd, int stop_fd)>;

  // `name` ("unix connector") names the owner in log lines.
  ConnectionThreads(std::string name, std::shared_ptr<spdlog::logger> log);
  ~ConnectionThreads();  // stop()
  ConnectionThreads(const ConnectionThreads&) = delete;
  ConnectionThreads& operator=(const ConnectionThreads&) = delete;

  // Creates the stop event, the owner's last step before start() (which cannot fail).
  // Returns 0, or the errno of eventfd().
  int open_stop_event();
  // Takes the listening socket `listen_fd` (non-blocking) and accepts on it on a thread of
  // its own, each connection served by `serve` on another. `where` ("127.0.0.1:8053")
  // names the listener in log lines.
  void start(int listen_fd, std::string where, Serve serve);
  // True between start() and stop().
  [[nodiscard]] bool running() const { return listen_fd_ >= 0; }
  // Wakes every thread, joins them all and closes the listener and the stop event.
  // Idempotent.
  void stop();

 private:
  struct Connection {
    int fd = -1;
    std::thread thread;
    bool done = false;  // guarded by mutex_
  };

  void accept_loop();
  void serve(Connection& connection);
  void reap_finished();  // joins connections whose thread has ended; mutex_ held

  std::string name_;
  std::shared_ptr<spdlog::logger> log_;
  std::string where_;
  Serve serve_;
  int listen_fd_ = -1;
  int stop_fd_ = -1;  // an eventfd, readable once stop() has begun
  std::thread acceptor_;
  std::mutex mutex_;
  std::list<Connection> connections_;
};

}  // namespace formation::dns_powerdns
