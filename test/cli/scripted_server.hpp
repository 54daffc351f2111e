// A canned loopback HTTP server for the form CLI tests: no formationd needed to check which
// requests a command sends and what it prints for given answers. Header-only so that every
// test executable of test/cli can use it.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace form_test {

// Answers the n-th connection with the n-th canned response (the last one repeats) and
// keeps every request (head and body).
class ScriptedServer {
 public:
  struct Reply {
    int status;
    std::string body;
  };
  explicit ScriptedServer(std::vector<Reply> replies) : replies_(std::move(replies)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd_, 8) != 0)
      throw std::runtime_error("cannot listen on a loopback port");
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~ScriptedServer() {
    stop_ = true;
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
  }
  ScriptedServer(const ScriptedServer&) = delete;
  ScriptedServer& operator=(const ScriptedServer&) = delete;

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::vector<std::string> requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
  }

 private:
  void serve() {
    std::size_t n = 0;
    while (!stop_) {
      int client = ::accept(fd_, nullptr, nullptr);
      if (client < 0) return;
      std::string request;
      char buffer[4096];
      std::size_t want = std::string::npos;
      while (want == std::string::npos || request.size() < want) {
        ssize_t got = ::recv(client, buffer, sizeof buffer, 0);
        if (got <= 0) break;
        request.append(buffer, static_cast<size_t>(got));
        auto end = request.find("\r\n\r\n");
        if (want == std::string::npos && end != std::string::npos) {
          std::size_t length = 0;
          auto cl = request.find("Content-Length: ");
          if (cl != std::string::npos && cl < end) length = std::stoul(request.substr(cl + 16));
          want = end + 4 + length;
        }
      }
      const Reply& reply = replies_[std::min(n++, replies_.size() - 1)];
      {
        std::lock_guard lock(mutex_);
        requests_.push_back(request);
      }
      std::string response = "HTTP/1.1 " + std::to_string(reply.status) +
                             " X\r\nContent-Type: application/json\r\nContent-Length: " +
                             std::to_string(reply.body.size()) + "\r\nConnection: close\r\n\r\n" +
                             reply.body;
      ::send(client, response.data(), response.size(), MSG_NOSIGNAL);
      ::close(client);
    }
  }

  std::vector<Reply> replies_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  mutable std::mutex mutex_;
  std::vector<std::string> requests_;
};

// The body of a request as kept by ScriptedServer (everything after the blank line).
inline std::string request_body(const std::string& request) {
  const auto end = request.find("\r\n\r\n");
  return end == std::string::npos ? std::string() : request.substr(end + 4);
}

}  // namespace form_test
