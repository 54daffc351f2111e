#include "support/raw_http_client.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace formation::test {
namespace {

using Clock = std::chrono::steady_clock;

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

int poll_ms(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return static_cast<int>(std::max<long>(0, left.count()));
}

}  // namespace

std::string RawResponse::header(std::string_view name) const {
  auto it = headers.find(lower(name));
  return it == headers.end() ? std::string{} : it->second;
}

RawConnection::~RawConnection() { close(); }

RawConnection::RawConnection(RawConnection&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      error_(other.error_),
      eof_(other.eof_),
      buffer_(std::move(other.buffer_)) {}

RawConnection& RawConnection::operator=(RawConnection&& other) noexcept {
  if (this != &other) {
    close();
    fd_ = std::exchange(other.fd_, -1);
    error_ = other.error_;
    eof_ = other.eof_;
    buffer_ = std::move(other.buffer_);
  }
  return *this;
}

RawConnection RawConnection::connect(const std::string& host, std::uint16_t port,
                                     std::chrono::milliseconds timeout) {
  RawConnection c;
  sockaddr_storage addr{};
  socklen_t len = 0;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&addr);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&addr);
  if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    len = sizeof(sockaddr_in);
  } else if (inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    len = sizeof(sockaddr_in6);
  } else {
    c.error_ = EINVAL;
    return c;
  }
  int fd = ::socket(addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) {
    c.error_ = errno;
    return c;
  }
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), len) != 0) {
    if (errno != EINPROGRESS) {
      c.error_ = errno;
      ::close(fd);
      return c;
    }
    pollfd p{fd, POLLOUT, 0};
    if (::poll(&p, 1, static_cast<int>(timeout.count())) != 1) {
      c.error_ = ETIMEDOUT;
      ::close(fd);
      return c;
    }
    int err = 0;
    socklen_t err_len = sizeof err;
    ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &err_len);
    if (err != 0) {
      c.error_ = err;
      ::close(fd);
      return c;
    }
  }
  c.fd_ = fd;
  return c;
}

bool RawConnection::send(std::string_view bytes) {
  if (fd_ < 0) return false;
  const auto deadline = Clock::now() + 10s;
  while (!bytes.empty()) {
    ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n > 0) {
      bytes.remove_prefix(static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      pollfd p{fd_, POLLOUT, 0};
      if (::poll(&p, 1, poll_ms(deadline)) != 1) return false;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    error_ = errno;
    return false;
  }
  return true;
}

long RawConnection::read_some(Clock::time_point deadline) {
  if (fd_ < 0 || eof_) return 0;
  for (;;) {
    char chunk[16384];
    ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n > 0) {
      buffer_.append(chunk, static_cast<size_t>(n));
      return n;
    }
    if (n == 0) {
      eof_ = true;
      return 0;
    }
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) {
      error_ = errno;
      eof_ = true;  // reset counts as closed
      return 0;
    }
    pollfd p{fd_, POLLIN, 0};
    int ready = ::poll(&p, 1, poll_ms(deadline));
    if (ready == 0) return -1;
    if (ready < 0 && errno != EINTR) return -1;
  }
}

std::optional<RawResponse> RawConnection::read_response(std::chrono::milliseconds timeout,
                                                        bool head_request) {
  const auto deadline = Clock::now() + timeout;
  size_t header_end;
  while ((header_end = buffer_.find("\r\n\r\n")) == std::string::npos) {
    if (read_some(deadline) <= 0) return std::nullopt;
  }
  RawResponse res;
  std::string_view head(buffer_.data(), header_end);
  size_t line_end = head.find("\r\n");
  std::string_view status_line = head.substr(0, line_end);
  if (!status_line.starts_with("HTTP/1.") || status_line.size() < 12) return std::nullopt;
  try {
    res.status = std::stoi(std::string(status_line.substr(9, 3)));
  } catch (...) {
    return std::nullopt;
  }
  res.reason = std::string(status_line.size() > 13 ? status_line.substr(13) : "");
  std::string_view rest = line_end == std::string_view::npos ? "" : head.substr(line_end + 2);
  while (!rest.empty()) {
    size_t eol = rest.find("\r\n");
    std::string_view line = rest.substr(0, eol);
    rest = eol == std::string_view::npos ? "" : rest.substr(eol + 2);
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) return std::nullopt;
    res.headers[lower(trim(line.substr(0, colon)))] = std::string(trim(line.substr(colon + 1)));
  }
  std::string pending = buffer_.substr(header_end + 4);
  buffer_.swap(pending);  // buffer_ now holds what follows the headers

  const bool no_body =
      head_request || res.status / 100 == 1 || res.status == 204 || res.status == 304;
  if (no_body) return res;
  if (lower(res.header("transfer-encoding")).find("chunked") != std::string::npos) {
    size_t pos = 0;
    std::string body;
    for (;;) {
      size_t eol;
      while ((eol = buffer_.find("\r\n", pos)) == std::string::npos) {
        if (read_some(deadline) <= 0) return std::nullopt;
      }
      size_t size = std::stoul(buffer_.substr(pos, eol - pos), nullptr, 16);
      pos = eol + 2;
      while (buffer_.size() < pos + size + 2) {
        if (read_some(deadline) <= 0) return std::nullopt;
      }
      body += buffer_.substr(pos, size);
      pos += size + 2;
      if (size == 0) break;  // no trailers expected
    }
    res.body = std::move(body);
    buffer_.erase(0, pos);
    return res;
  }
  if (auto cl = res.header("content-length"); !cl.empty()) {
    size_t length = std::stoul(cl);
    while (buffer_.size() < length) {
      if (read_some(deadline) <= 0) return std::nullopt;
    }
    res.body = buffer_.substr(0, length);
    buffer_.erase(0, length);
    return res;
  }
  while (read_some(deadline) > 0) {
  }
  if (!eof_) return std::nullopt;
  res.body = std::move(buffer_);
  buffer_.clear();
  return res;
}

bool RawConnection::wait_closed(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    if (fd_ < 0 || eof_) return true;
    if (read_some(deadline) < 0) return eof_;
  }
}

void RawConnection::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

std::string make_request(std::string_view method, std::string_view target, std::string_view body,
                         const std::vector<std::pair<std::string, std::string>>& headers,
                         std::string_view version) {
  std::string out;
  out.append(method).append(" ").append(target).append(" ").append(version).append("\r\n");
  out += "Host: 127.0.0.1\r\n";
  for (const auto& [name, value] : headers) out += name + ": " + value + "\r\n";
  if (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH") {
    out += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  }
  out += "\r\n";
  out.append(body);
  return out;
}

std::optional<RawResponse> http_request(
    std::uint16_t port, std::string_view method, std::string_view target, std::string_view body,
    const std::vector<std::pair<std::string, std::string>>& headers,
    std::chrono::milliseconds timeout) {
  auto c = RawConnection::connect("127.0.0.1", port, timeout);
  if (!c.connected()) return std::nullopt;
  if (!c.send(make_request(method, target, body, headers))) return std::nullopt;
  return c.read_response(timeout, method == "HEAD");
}

}  // namespace formation::test
