// HTTP connector: Beast parses and writes HTTP/1.1, synchronously, one thread per
// connection (pdns keeps one keep-alive connection per backend instance). Beast reads and
// writes through PollingStream, a socket whose every wait is wait_ready() on the stop event
// of connection_threads.hpp, which also accepts and runs the threads.
#include "http_connector.hpp"

#include <fmt/format.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <array>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <cerrno>
#include <chrono>
#include <string_view>

#include "remote_protocol.hpp"

namespace formation::dns_powerdns {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

constexpr std::uint32_t kMaxHeaderBytes = 8 * 1024;
constexpr std::string_view kFalseBody = R"({"result":false})";
// After an error that ends the connection, what the client still sends is read and dropped
// for this long (or this much) before closing, so it reads our answer instead of a reset.
constexpr int kLingerMilliseconds = 2000;
constexpr std::size_t kLingerBytes = std::size_t{1024} * 1024;

// A Beast SyncReadStream and SyncWriteStream over a connected socket that gives up, with
// operation_aborted, as soon as stop() begins.
class PollingStream {
 public:
  PollingStream(int fd, int stop_fd) : fd_(fd), stop_fd_(stop_fd) {}

  template <class MutableBufferSequence>
  std::size_t read_some(const MutableBufferSequence& buffers, beast::error_code& ec) {
    ec = {};
    for (auto it = asio::buffer_sequence_begin(buffers); it != asio::buffer_sequence_end(buffers);
         ++it) {
      const asio::mutable_buffer buffer = *it;
      if (buffer.size() == 0) continue;
      for (;;) {
        const ssize_t n = ::recv(fd_, buffer.data(), buffer.size(), MSG_DONTWAIT);
        if (n > 0) return static_cast<std::size_t>(n);
        if (n == 0) {
          ec = asio::error::eof;
          return 0;
        }
        if (errno == EINTR) continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK) {
          ec.assign(errno, beast::system_category());
          return 0;
        }
        if (!wait_ready(fd_, POLLIN, stop_fd_)) {
          ec = asio::error::operation_aborted;
          return 0;
        }
      }
    }
    return 0;
  }
  template <class MutableBufferSequence>
  std::size_t read_some(const MutableBufferSequence& buffers) {
    beast::error_code ec;
    const std::size_t n = read_some(buffers, ec);
    if (ec) throw beast::system_error(ec);
    return n;
  }

  // Gathers the header and body into one sendmsg(), so a response is one segment.
  template <class ConstBufferSequence>
  std::size_t write_some(const ConstBufferSequence& buffers, beast::error_code& ec) {
    ec = {};
    std::array<iovec, 16> parts{};
    std::size_t count = 0;
    for (auto it = asio::buffer_sequence_begin(buffers);
         it != asio::buffer_sequence_end(buffers) && count < parts.size(); ++it) {
      const asio::const_buffer buffer = *it;
      if (buffer.size() == 0) continue;
      parts.at(count).iov_base = const_cast<void*>(buffer.data());  // sendmsg does not write
      parts.at(count).iov_len = buffer.size();
      ++count;
    }
    if (count == 0) return 0;
    msghdr message{};
    message.msg_iov = parts.data();
    message.msg_iovlen = count;
    for (;;) {
      const ssize_t n = ::sendmsg(fd_, &message, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n >= 0) return static_cast<std::size_t>(n);
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) {
        ec.assign(errno, beast::system_category());
        return 0;
      }
      if (!wait_ready(fd_, POLLOUT, stop_fd_)) {
        ec = asio::error::operation_aborted;
        return 0;
      }
    }
  }
  template <class ConstBufferSequence>
  std::size_t write_some(const ConstBufferSequence& buffers) {
    beast::error_code ec;
    const std::size_t n = write_some(buffers, ec);
    if (ec) throw beast::system_error(ec);
    return n;
  }

 private:
  int fd_;
  int stop_fd_;
};

// Ends our side, then reads and drops what the client still sends, for a while.
void linger(int fd, int stop_fd) {
  ::shutdown(fd, SHUT_WR);
  std::array<char, std::size_t{16} * 1024> sink{};
  std::size_t drained = 0;
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(kLingerMilliseconds);
  while (drained < kLingerBytes) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return;
    std::array<pollfd, 2> fds{{{fd, POLLIN, 0}, {stop_fd, POLLIN, 0}}};
    if (::poll(fds.data(), fds.size(), static_cast<int>(left.count())) <= 0) return;
    if (fds[1].revents != 0) return;
    const ssize_t n = ::recv(fd, sink.data(), sink.size(), MSG_DONTWAIT);
    if (n <= 0 && !(n < 0 && (errno == EINTR || errno == EAGAIN))) return;
    if (n > 0) drained += static_cast<std::size_t>(n);
  }
}

}  // namespace

HttpConnector::HttpConnector(const ZoneView& view, std::shared_ptr<spdlog::logger> log)
    : view_(view), log_(std::move(log)), threads_("HTTP connector", log_) {}

HttpConnector::~HttpConnector() { stop(); }

Result<std::uint16_t> HttpConnector::start(const std::string& address, std::uint16_t port) {
  if (threads_.running()) {
    return Status::invalid(fmt::format("the HTTP connector already listens on {}", endpoint_));
  }
  boost::system::error_code parse_error;
  const asio::ip::address ip = asio::ip::make_address(address, parse_error);
  if (parse_error) {
    return Status::invalid(fmt::format(
        "'{}' is not a numeric IPv4 or IPv6 address to listen on (such as 127.0.0.1)", address));
  }
  const asio::ip::tcp::endpoint wanted(ip, port);
  const std::string where =
      ip.is_v6() ? fmt::format("[{}]:{}", address, port) : fmt::format("{}:{}", address, port);
  const int fd =
      ::socket(wanted.protocol().family(), SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) {
    return Status::unavailable(fmt::format("cannot create a TCP socket: {}", os_error(errno)));
  }
  auto fail = [&](std::string_view step, int error) {
    ::close(fd);
    std::string hint = error == EADDRINUSE ? " (another process uses it; choose another port)" : "";
    return Status::unavailable(
        fmt::format("cannot {} {}: {}{}", step, where, os_error(error), hint));
  };
  const int on = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
  if (::bind(fd, wanted.data(), static_cast<socklen_t>(wanted.size())) != 0) {
    return fail("bind to", errno);
  }
  if (::listen(fd, SOMAXCONN) != 0) return fail("listen on", errno);
  asio::ip::tcp::endpoint bound;
  auto length = static_cast<socklen_t>(bound.capacity());
  if (::getsockname(fd, bound.data(), &length) != 0) return fail("read the port of", errno);
  bound.resize(length);
  if (const int error = threads_.open_stop_event(); error != 0) {
    return fail("create the stop event for", error);
  }
  endpoint_ = ip.is_v6() ? fmt::format("[{}]:{}", address, bound.port())
                         : fmt::format("{}:{}", address, bound.port());
  threads_.start(fd, endpoint_,
                 [this](int connection, int stop_fd) { serve(connection, stop_fd); });
  log_->info("serving PowerDNS's remote backend over HTTP on {} (post_json)", endpoint_);
  return bound.port();
}

void HttpConnector::stop() {
  if (!threads_.running()) return;
  threads_.stop();
  log_->info("stopped serving PowerDNS over HTTP on {}", endpoint_);
}

void HttpConnector::serve(int fd, int stop_fd) {
  // Replies are single small writes answered at once: no reason to wait for more.
  const int on = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
  PollingStream stream(fd, stop_fd);
  beast::flat_buffer buffer;
  RemoteProtocol protocol(view_, log_);
  std::string reply;
  bool warned_not_post = false;

  // Sends `body` (swapped in and back, so its buffer is reused); false when the
  // connection is gone.
  auto respond = [&](http::status status, unsigned version, bool keep_alive, std::string& body) {
    http::response<http::string_body> response{status, version};
    response.set(http::field::content_type, "application/json");
    if (status == http::status::method_not_allowed) response.set(http::field::allow, "POST");
    response.keep_alive(keep_alive);
    response.body().swap(body);
    response.prepare_payload();
    beast::error_code ec;
    http::write(stream, response, ec);
    response.body().swap(body);
    return !ec;
  };

  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(kMaxHeaderBytes);
    parser.body_limit(kMaxRequestBytes);
    beast::error_code ec;
    http::read(stream, buffer, parser, ec);
    if (ec == http::error::end_of_stream || ec == asio::error::operation_aborted) break;
    if (ec == http::error::body_limit || ec == http::error::header_limit) {
      log_->warn("answering 413 on {}: a request was larger than {} bytes", endpoint_,
                 ec == http::error::body_limit ? kMaxRequestBytes : kMaxHeaderBytes);
      reply.assign(kFalseBody);
      if (respond(http::status::payload_too_large, 11, false, reply)) linger(fd, stop_fd);
      break;
    }
    if (ec == http::error::partial_message) {
      log_->info("PowerDNS closed an HTTP connection on {} in the middle of a request", endpoint_);
      break;
    }
    if (ec) {
      if (ec.category() == http::make_error_code(http::error::bad_method).category()) {
        log_->warn("answering 400 on {}: malformed HTTP request: {}", endpoint_, ec.message());
        reply.assign(kFalseBody);
        if (respond(http::status::bad_request, 11, false, reply)) linger(fd, stop_fd);
      }
      break;
    }
    auto& request = parser.get();
    const bool keep_alive = request.keep_alive();
    if (request.method() != http::verb::post) {
      // pdns sends REST-style GETs unless told post=yes: say so, once per connection.
      if (!warned_not_post) {
        warned_not_post = true;
        log_->warn(
            "answering 405 to {} {} on {}: this connector takes only POSTed JSON; "
            "configure PowerDNS with remote-connection-string=http:url=http://{}/dns,"
            "post=yes,post_json=yes",
            std::string_view(request.method_string()), std::string_view(request.target()),
            endpoint_, endpoint_);
      }
      reply.assign(kFalseBody);
      if (!respond(http::status::method_not_allowed, request.version(), keep_alive, reply) ||
          !keep_alive) {
        break;
      }
      continue;
    }
    protocol.handle(request.body(), reply);
    if (!respond(http::status::ok, request.version(), keep_alive, reply) || !keep_alive) break;
  }
}

}  // namespace formation::dns_powerdns
