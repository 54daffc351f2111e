// The HTTP side of PowerDNS's remote backend in post_json mode
// (remote-connection-string=http:url=http://127.0.0.1:PORT/dns,post=yes,post_json=yes;
// pdns 4.7 ignores post_json without post=yes and sends REST-style GETs): pdns POSTs
// each {"method","parameters"} request as the body, on one keep-alive connection per
// backend instance, and reads a JSON body framed by Content-Length. Any path is accepted:
// the listener serves nothing else. Not POST: 405; a body over kMaxRequestBytes: 413.
#pragma once

#include <spdlog/logger.h>

#include <cstdint>
#include <memory>
#include <string>

#include "connection_threads.hpp"
#include "formation/status.hpp"
#include "zone_view.hpp"

namespace formation::dns_powerdns {

class HttpConnector {
 public:
  HttpConnector(const ZoneView& view, std::shared_ptr<spdlog::logger> log);
  ~HttpConnector();  // stop()
  HttpConnector(const HttpConnector&) = delete;
  HttpConnector& operator=(const HttpConnector&) = delete;

  // Listens on `address` (numeric IPv4 or IPv6) and `port` (0: a free one); returns the
  // port listened on.
  Result<std::uint16_t> start(const std::string& address, std::uint16_t port);
  // Closes the listener and every connection and joins every thread. Idempotent.
  void stop();

 private:
  void serve(int fd, int stop_fd);

  const ZoneView& view_;
  std::shared_ptr<spdlog::logger> log_;
  std::string endpoint_;       // "127.0.0.1:8053", for log lines
  ConnectionThreads threads_;  // last: its threads use the members above
};

}  // namespace formation::dns_powerdns
