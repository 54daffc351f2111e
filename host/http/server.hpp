// The HTTP/1.1 listener of formationd (Boost.Beast inside, none of it in this header).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include <spdlog/logger.h>

#include "formation/metrics.hpp"
#include "formation/plugin.hpp"
#include "formation/status.hpp"
#include "http/router.hpp"

namespace formation::host {

struct TlsFiles {
  std::filesystem::path certificate;  // PEM, the chain with the leaf first
  std::filesystem::path private_key;  // PEM
};

struct ServerOptions {
  std::string address = "127.0.0.1";
  std::uint16_t port = 3004;  // 0 = pick a free port
  std::size_t max_body_bytes = std::size_t{10} * 1024 * 1024;
  std::size_t max_header_bytes = std::size_t{16} * 1024;
  // From the connection's start (or from the first byte after a keep-alive pause) until
  // the request's headers are complete; a TLS handshake counts against it.
  std::chrono::milliseconds header_timeout{10000};
  // From the end of the headers until the body is complete. Also bounds writing a response.
  std::chrono::milliseconds body_timeout{60000};
  // How long a keep-alive connection may wait for the first byte of its next request.
  std::chrono::milliseconds idle_timeout{60000};
  unsigned io_threads = 2;
  std::optional<TlsFiles> tls;  // set: HTTPS only (TLS 1.2+)
  bool access_log = true;
};

// Async HTTP/1.1 (and 1.0) server: keep-alive, one request at a time per connection.
// Handlers of RouteExecution::blocking_pool routes run on `pool`; io_thread ones inline.
// `router`, `pool`, `metrics` must outlive the server; stop the server before the pool.
class HttpServer {
 public:
  HttpServer(ServerOptions options, Router& router, BlockingPool& pool, Metrics& metrics,
             std::shared_ptr<spdlog::logger> log);
  ~HttpServer();  // shutdown(0 ms) when still running
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds, listens and starts the io threads; the bound port. Errors name address:port
  // and the reason (address in use, ...) or the TLS file that could not be loaded.
  Result<std::uint16_t> start();

  // Stops accepting at once, closes idle keep-alive connections, lets in-flight requests
  // finish (their responses carry Connection: close) for up to `grace`, then closes what
  // is left and joins the io threads. Waits for handlers already running on the blocking
  // pool to return (they cannot be interrupted). Idempotent; not from an io thread.
  void shutdown(std::chrono::milliseconds grace);

  // "http://127.0.0.1:3004" or "https://..."; the bound port once started.
  [[nodiscard]] std::string url() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace formation::host
