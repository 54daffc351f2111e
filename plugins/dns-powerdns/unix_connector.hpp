// The unix-socket side of PowerDNS's remote backend
// (remote-connection-string=unix:path=...): pdns connects once per backend instance (one
// per distributor thread), sends {"method":"initialize",...} and then one request at a
// time, each a JSON object and "\n"; it reads until what it has parses as JSON. So: one
// thread per connection, requests framed by newline, one reply line per request.
#pragma once

#include <spdlog/logger.h>

#include <cstdint>
#include <filesystem>
#include <memory>

#include "connection_threads.hpp"
#include "formation/status.hpp"
#include "zone_view.hpp"

namespace formation::dns_powerdns {

class UnixConnector {
 public:
  UnixConnector(const ZoneView& view, std::shared_ptr<spdlog::logger> log);
  ~UnixConnector();  // stop()
  UnixConnector(const UnixConnector&) = delete;
  UnixConnector& operator=(const UnixConnector&) = delete;

  // Listens on `path` with permission bits `mode` (e.g. 0660). A socket file nobody
  // listens on any more (left by a crash) is replaced; a live one, or a file that is not
  // a socket, is an error naming the path.
  Status start(const std::filesystem::path& path, std::uint32_t mode);
  // Closes the listening socket and every connection, joins every thread and removes the
  // socket file. Idempotent.
  void stop();

 private:
  void serve(int fd, int stop_fd);

  const ZoneView& view_;
  std::shared_ptr<spdlog::logger> log_;
  std::filesystem::path path_;
  std::uint64_t socket_inode_ = 0;  // removed at stop() only if the file is still ours
  ConnectionThreads threads_;       // last: its threads use the members above
};

}  // namespace formation::dns_powerdns
