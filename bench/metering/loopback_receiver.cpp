#include "loopback_receiver.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdlib>
#include <map>
#include <stdexcept>

namespace formation::bench {
namespace {

constexpr std::string_view kAnswer = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";

// Bytes of the first complete request in `in` (headers and Content-Length body), or 0.
std::size_t complete_request(const std::string& in) {
  const auto end = in.find("\r\n\r\n");
  if (end == std::string::npos) return 0;
  std::size_t length = 0;
  for (const std::string_view name : {"Content-Length:", "content-length:"}) {
    const auto at = in.find(name);
    if (at != std::string::npos && at < end) {
      length = std::strtoul(in.c_str() + at + name.size(), nullptr, 10);
    }
  }
  const std::size_t total = end + 4 + length;
  return in.size() >= total ? total : 0;
}

}  // namespace

LoopbackReceiver::LoopbackReceiver() {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  const int one = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t size = sizeof address;
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&address), size) != 0 ||
      ::listen(listen_fd_, 1024) != 0 ||
      ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&address), &size) != 0) {
    throw std::runtime_error("receiver: cannot listen on 127.0.0.1");
  }
  port_ = ntohs(address.sin_port);
  epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
  stop_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  for (const int fd : {listen_fd_, stop_fd_}) {
    epoll_event e{};
    e.events = EPOLLIN;
    e.data.fd = fd;
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &e);
  }
  thread_ = std::thread([this] { loop(); });
}

LoopbackReceiver::~LoopbackReceiver() {
  const std::uint64_t one = 1;
  (void)::write(stop_fd_, &one, sizeof one);
  thread_.join();
  for (const int fd : {listen_fd_, epoll_fd_, stop_fd_}) ::close(fd);
}

std::string LoopbackReceiver::url() const {
  return "http://127.0.0.1:" + std::to_string(port_) + "/hook";
}

bool LoopbackReceiver::wait_answered(std::size_t count, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] { return answered_ >= count; });
}

void LoopbackReceiver::loop() {
  std::map<int, std::string> pending;  // per connection: bytes not yet answered
  std::array<epoll_event, 64> events{};
  std::array<char, 16384> buffer{};
  for (;;) {
    const int n = ::epoll_wait(epoll_fd_, events.data(), static_cast<int>(events.size()), -1);
    for (int i = 0; i < n; ++i) {
      const int fd = events[static_cast<std::size_t>(i)].data.fd;
      if (fd == stop_fd_) {
        for (const auto& [client, unused] : pending) ::close(client);
        return;
      }
      if (fd == listen_fd_) {
        int client = -1;
        while ((client = ::accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC)) >=
               0) {
          epoll_event e{};
          e.events = EPOLLIN;
          e.data.fd = client;
          ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, client, &e);
          pending[client];
        }
        continue;
      }
      auto& in = pending[fd];
      ssize_t got = 0;
      while ((got = ::read(fd, buffer.data(), buffer.size())) > 0) {
        in.append(buffer.data(), static_cast<std::size_t>(got));
      }
      std::size_t done = 0;
      std::size_t answers = 0;
      while ((done = complete_request(in)) > 0) {
        in.erase(0, done);
        ++answers;
      }
      for (std::size_t a = 0; a < answers; ++a) {
        // Small enough to go out in one write on loopback.
        (void)::write(fd, kAnswer.data(), kAnswer.size());
      }
      if (answers > 0) {
        {
          const std::scoped_lock lock(mutex_);
          answered_ += answers;
        }
        changed_.notify_all();
      }
      if (got == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {  // closed or reset
        ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
        ::close(fd);
        pending.erase(fd);
      }
    }
  }
}

}  // namespace formation::bench
