#include "webhooks/receiver.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <stdexcept>

namespace formation::testing {
namespace {

sockaddr_in loopback(int port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  return addr;
}

void send_all(int fd, const std::string& data) {
  std::size_t sent = 0;
  while (sent < data.size()) {
    const auto n = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return;
    sent += static_cast<std::size_t>(n);
  }
}

}  // namespace

Receiver::Receiver() {
  // A port the kernel chose, released: up() binds it again (SO_REUSEADDR).
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  auto addr = loopback(0);
  socklen_t len = sizeof addr;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    throw std::runtime_error("receiver: no free port");
  }
  port_ = ntohs(addr.sin_port);
  ::close(fd);
}

Receiver::~Receiver() {
  down();
  std::vector<std::thread> connections;
  {
    std::lock_guard lock(mutex_);
    connections.swap(connections_);
  }
  for (auto& t : connections) t.join();
}

std::string Receiver::url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + path;
}

void Receiver::up() {
  if (listen_fd_ >= 0) return;
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  const int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  auto addr = loopback(port_);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd, 64) != 0) {
    ::close(fd);
    throw std::runtime_error("receiver: cannot listen on port " + std::to_string(port_));
  }
  listen_fd_ = fd;
  acceptor_ = std::thread([this, fd] { accept_loop(fd); });
}

void Receiver::down() {
  if (listen_fd_ < 0) return;
  ::shutdown(listen_fd_, SHUT_RDWR);
  acceptor_.join();
  ::close(listen_fd_);
  listen_fd_ = -1;
}

void Receiver::accept_loop(int fd) {
  while (true) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 100) < 0) return;
    if ((p.revents & (POLLERR | POLLHUP | POLLNVAL)) != 0) return;
    if ((p.revents & POLLIN) == 0) continue;
    const int client = ::accept(fd, nullptr, nullptr);
    if (client < 0) return;
    std::lock_guard lock(mutex_);
    connections_.emplace_back([this, client] { serve(client); });
  }
}

void Receiver::serve(int client) {
  std::string data;
  char buf[4096];
  std::size_t header_end = std::string::npos;
  std::size_t length = 0;
  while (true) {
    if (header_end == std::string::npos) {
      header_end = data.find("\r\n\r\n");
      if (header_end != std::string::npos) {
        auto pos = data.find("ontent-Length:");
        if (pos == std::string::npos) pos = data.find("ontent-length:");
        if (pos != std::string::npos) length = std::stoul(data.substr(pos + 14));
      }
    }
    if (header_end != std::string::npos && data.size() >= header_end + 4 + length) break;
    const auto n = ::recv(client, buf, sizeof buf, 0);
    if (n <= 0) {
      ::close(client);
      return;
    }
    data.append(buf, static_cast<std::size_t>(n));
  }
  ++seen_;
  ReceivedRequest request;
  const std::string head = data.substr(0, header_end);
  const auto first = head.find("\r\n");
  const std::string line = head.substr(0, first);
  const auto sp = line.find(' ');
  request.target = line.substr(sp + 1, line.rfind(' ') - sp - 1);
  std::size_t at = first + 2;
  while (first != std::string::npos && at < head.size()) {
    auto end = head.find("\r\n", at);
    if (end == std::string::npos) end = head.size();
    const std::string h = head.substr(at, end - at);
    const auto colon = h.find(':');
    if (colon != std::string::npos) {
      std::string name = h.substr(0, colon);
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      std::string value = h.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.erase(0, 1);
      request.headers[name] = value;
    }
    at = end + 2;
  }
  request.body = data.substr(header_end + 4, length);
  {
    std::lock_guard lock(mutex_);
    arrived_.push_back(request);
  }
  switch (mode_.load()) {
    case Mode::ok: {
      {
        std::lock_guard lock(mutex_);
        delivered_.push_back(std::move(request));
      }
      changed_.notify_all();
      send_all(client, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
      break;
    }
    case Mode::fail:
      send_all(client, "HTTP/1.1 503 Busy\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
      break;
    case Mode::slow:
      std::this_thread::sleep_for(slow_for_.load());
      send_all(client, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
      break;
    case Mode::slow_ok: {
      std::this_thread::sleep_for(slow_for_.load());
      {
        std::lock_guard lock(mutex_);
        delivered_.push_back(std::move(request));
      }
      changed_.notify_all();
      send_all(client, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
      break;
    }
    case Mode::garbage: send_all(client, "\x01\x02 not http at all\r\n\r\n\xff"); break;
  }
  ::close(client);
}

std::vector<ReceivedRequest> Receiver::delivered() {
  std::lock_guard lock(mutex_);
  return delivered_;
}

std::vector<ReceivedRequest> Receiver::arrived() {
  std::lock_guard lock(mutex_);
  return arrived_;
}

bool Receiver::wait_delivered(std::size_t count, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] { return delivered_.size() >= count; });
}

}  // namespace formation::testing
