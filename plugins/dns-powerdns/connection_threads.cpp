#include "connection_threads.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdint>
#include <system_error>

namespace formation::dns_powerdns {
namespace {

// pdns opens one connection per distributor thread; more than this is not pdns.
constexpr std::size_t kMaxConnections = 256;

}  // namespace

std::string os_error(int error) { return std::system_category().message(error); }

bool wait_ready(int fd, short events, int stop_fd) {
  std::array<pollfd, 2> fds{{{fd, events, 0}, {stop_fd, POLLIN, 0}}};
  for (;;) {
    fds[0].revents = 0;
    fds[1].revents = 0;
    if (::poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    if (fds[1].revents != 0) return false;
    if (fds[0].revents != 0) return true;  // POLLHUP/POLLERR: the next read or write says so
  }
}

ConnectionThreads::ConnectionThreads(std::string name, std::shared_ptr<spdlog::logger> log)
    : name_(std::move(name)), log_(std::move(log)) {}

ConnectionThreads::~ConnectionThreads() { stop(); }

int ConnectionThreads::open_stop_event() {
  if (stop_fd_ >= 0) return 0;
  stop_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  return stop_fd_ < 0 ? errno : 0;
}

void ConnectionThreads::start(int listen_fd, std::string where, Serve serve) {
  listen_fd_ = listen_fd;
  where_ = std::move(where);
  serve_ = std::move(serve);
  acceptor_ = std::thread([this] { accept_loop(); });
}

void ConnectionThreads::stop() {
  if (listen_fd_ >= 0) {
    const std::uint64_t one = 1;
    if (::write(stop_fd_, &one, sizeof(one)) != sizeof(one)) {
      log_->error("cannot signal the {}'s threads to stop: {}", name_, os_error(errno));
    }
    if (acceptor_.joinable()) acceptor_.join();
    // The acceptor has ended: nothing adds to the list any more. A serve function may be
    // blocked in recv() rather than in wait_ready(); shutdown() ends that read.
    {
      std::lock_guard lock(mutex_);
      for (Connection& connection : connections_) {
        if (connection.fd >= 0) ::shutdown(connection.fd, SHUT_RDWR);
      }
    }
    for (Connection& connection : connections_) connection.thread.join();
    connections_.clear();
    ::close(listen_fd_);
    listen_fd_ = -1;
  }
  if (stop_fd_ >= 0) {
    ::close(stop_fd_);
    stop_fd_ = -1;
  }
}

void ConnectionThreads::reap_finished() {
  for (auto it = connections_.begin(); it != connections_.end();) {
    if (it->done) {
      it->thread.join();  // returns at once: the thread only had to unlock
      it = connections_.erase(it);
    } else {
      ++it;
    }
  }
}

void ConnectionThreads::accept_loop() {
  while (wait_ready(listen_fd_, POLLIN, stop_fd_)) {
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK || errno == ECONNABORTED) {
        continue;
      }
      log_->error("accepting a connection on {} failed: {}; retrying in 1 s", where_,
                  os_error(errno));
      std::array<pollfd, 1> stop{{{stop_fd_, POLLIN, 0}}};
      if (::poll(stop.data(), stop.size(), 1000) > 0) break;
      continue;
    }
    std::lock_guard lock(mutex_);
    reap_finished();
    if (connections_.size() >= kMaxConnections) {
      log_->warn("refusing a connection on {}: {} are open already", where_, kMaxConnections);
      ::close(fd);
      continue;
    }
    Connection& connection = connections_.emplace_back();
    connection.fd = fd;
    connection.thread = std::thread([this, &connection] { serve(connection); });
  }
}

void ConnectionThreads::serve(Connection& connection) {
  serve_(connection.fd, stop_fd_);
  int fd = -1;
  {
    // Forget the descriptor before closing it, so stop() never shuts down a number that
    // has been reused.
    std::lock_guard lock(mutex_);
    std::swap(fd, connection.fd);
    connection.done = true;
  }
  ::close(fd);
}

}  // namespace formation::dns_powerdns
