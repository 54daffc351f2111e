// A deliberately small HTTP/1.1 client over raw POSIX sockets, for tests: it sends exactly
// the bytes it is given (malformed requests, slow partial writes) and parses what comes
// back without trusting the server. No dependency on the code under test.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace formation::test {

using namespace std::chrono_literals;

struct RawResponse {
  int status = 0;
  std::string reason;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;

  // Empty when absent; `name` in any case.
  [[nodiscard]] std::string header(std::string_view name) const;
};

class RawConnection {
 public:
  RawConnection() = default;
  ~RawConnection();
  RawConnection(RawConnection&& other) noexcept;
  RawConnection& operator=(RawConnection&& other) noexcept;
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  // Connects to host:port (numeric IPv4/IPv6); on failure connected() is false and
  // error() is the errno (ECONNREFUSED, ...).
  static RawConnection connect(const std::string& host, std::uint16_t port,
                               std::chrono::milliseconds timeout = 5s);

  [[nodiscard]] bool connected() const { return fd_ >= 0; }
  [[nodiscard]] int error() const { return error_; }

  // Writes all of `bytes`; false when the peer is gone.
  bool send(std::string_view bytes);

  // Reads one response (Content-Length, chunked, or until close); nullopt on timeout, on
  // close before a whole response, or on garbage. Bytes past the response are kept for
  // the next call. `head_request`: the response has no body whatever its headers say.
  std::optional<RawResponse> read_response(std::chrono::milliseconds timeout = 5s,
                                           bool head_request = false);

  // True when the peer closes (EOF or reset) within `timeout`; bytes read meanwhile are
  // appended to what received() returns.
  bool wait_closed(std::chrono::milliseconds timeout);

  // Every byte read so far that no read_response() consumed.
  [[nodiscard]] const std::string& received() const { return buffer_; }

  void close();

 private:
  // Reads what is available within the time left; 0 on EOF, -1 on timeout or error.
  long read_some(std::chrono::steady_clock::time_point deadline);

  int fd_ = -1;
  int error_ = 0;
  bool eof_ = false;
  std::string buffer_;
};

// Builds a request with Host, Content-Length (when there is a body) and `headers`.
std::string make_request(std::string_view method, std::string_view target,
                         std::string_view body = {},
                         const std::vector<std::pair<std::string, std::string>>& headers = {},
                         std::string_view version = "HTTP/1.1");

// One request on a fresh connection to 127.0.0.1:port.
std::optional<RawResponse> http_request(
    std::uint16_t port, std::string_view method, std::string_view target,
    std::string_view body = {},
    const std::vector<std::pair<std::string, std::string>>& headers = {},
    std::chrono::milliseconds timeout = 5s);

}  // namespace formation::test
