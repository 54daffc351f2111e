// Unix-socket connector: POSIX sockets, one thread per pdns connection. Every blocking
// wait is a poll() that also watches an eventfd, so stop() wakes every thread without
// touching a socket another thread is using; each thread closes its own socket.
#include "unix_connector.hpp"

#include <fmt/format.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <string>
#include <string_view>
#include <system_error>

#include "remote_protocol.hpp"

namespace formation::dns_powerdns {
namespace {

// pdns opens one connection per distributor thread; more than this is not pdns.
constexpr std::size_t kMaxConnections = 256;
constexpr std::size_t kReadChunkBytes = std::size_t{16} * 1024;

std::string os_error(int error) { return std::system_category().message(error); }

// Waits until `fd` is ready for `events` (or has hung up); false once `stop_fd` is readable.
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

// Writes all of `data`; false when the peer is gone or stop() began.
bool write_all(int fd, std::string_view data, int stop_fd) {
  while (!data.empty()) {
    const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      data.remove_prefix(static_cast<std::size_t>(n));
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (!wait_ready(fd, POLLOUT, stop_fd)) return false;
    } else {
      return false;
    }
  }
  return true;
}

bool is_blank(std::string_view text) {
  return text.find_first_not_of(" \t\r") == std::string_view::npos;
}

// A socket file left by a process that died is replaced; anything else at `path` is kept.
Status remove_stale_socket(const std::filesystem::path& path, const sockaddr_un& address) {
  struct stat info {};
  if (::lstat(path.c_str(), &info) != 0) {
    if (errno == ENOENT) return Status::ok();
    return Status::unavailable(
        fmt::format("cannot inspect unix socket path '{}': {}", path.string(), os_error(errno)));
  }
  if (!S_ISSOCK(info.st_mode)) {
    return Status::invalid(fmt::format(
        "'{}' exists and is not a socket; remove it or choose another socket path", path.string()));
  }
  const int probe = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (probe < 0) {
    return Status::unavailable(fmt::format("cannot create a unix socket: {}", os_error(errno)));
  }
  // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast): the sockets API
  const int connected =
      ::connect(probe, reinterpret_cast<const sockaddr*>(&address), sizeof(address));
  const int connect_error = errno;
  ::close(probe);
  if (connected == 0) {
    return Status::unavailable(fmt::format(
        "another process already listens on unix socket '{}'; stop it or choose another path",
        path.string()));
  }
  if (connect_error != ECONNREFUSED) {
    return Status::unavailable(fmt::format("cannot tell whether unix socket '{}' is in use: {}",
                                           path.string(), os_error(connect_error)));
  }
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    return Status::unavailable(fmt::format("cannot remove the stale unix socket '{}': {}",
                                           path.string(), os_error(errno)));
  }
  return Status::ok();
}

}  // namespace

UnixConnector::UnixConnector(const ZoneView& view, std::shared_ptr<spdlog::logger> log)
    : view_(view), log_(std::move(log)) {}

UnixConnector::~UnixConnector() { stop(); }

Status UnixConnector::start(const std::filesystem::path& path, std::uint32_t mode) {
  if (listen_fd_ >= 0) {
    return Status::invalid(
        fmt::format("the unix connector already listens on '{}'", path_.string()));
  }
  sockaddr_un address{};
  const std::string& native = path.native();
  if (native.empty() || native.size() >= sizeof(address.sun_path)) {
    return Status::invalid(
        fmt::format("unix socket path '{}' is {} bytes long; it must be 1 to {} bytes", native,
                    native.size(), sizeof(address.sun_path) - 1));
  }
  if (mode > 07777) {
    return Status::invalid(fmt::format("socket mode {:o} is not a permission mode", mode));
  }
  address.sun_family = AF_UNIX;
  std::memcpy(address.sun_path, native.data(), native.size());
  if (Status stale = remove_stale_socket(path, address); !stale.is_ok()) return stale;

  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) {
    return Status::unavailable(fmt::format("cannot create a unix socket: {}", os_error(errno)));
  }
  auto fail = [&](std::string_view step, int error) {
    ::close(fd);
    std::string hint = error == ENOENT ? " (create its directory first)" : "";
    return Status::unavailable(
        fmt::format("cannot {} unix socket '{}': {}{}", step, native, os_error(error), hint));
  };
  // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast): the sockets API
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0) {
    return fail("bind", errno);
  }
  // Before listen(): nobody can connect while the file still has the umask's mode.
  struct stat info {};
  if (::chmod(path.c_str(), mode) != 0 || ::stat(path.c_str(), &info) != 0) {
    const int error = errno;
    ::unlink(path.c_str());
    return fail("set the mode of", error);
  }
  if (::listen(fd, SOMAXCONN) != 0) {
    const int error = errno;
    ::unlink(path.c_str());
    return fail("listen on", error);
  }
  stop_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (stop_fd_ < 0) {
    const int error = errno;
    ::unlink(path.c_str());
    return fail("create the stop event for", error);
  }
  listen_fd_ = fd;
  path_ = path;
  socket_inode_ = info.st_ino;
  acceptor_ = std::thread([this] { accept_loop(); });
  log_->info("serving PowerDNS's remote backend on unix socket {} (mode {:04o})", native, mode);
  return Status::ok();
}

void UnixConnector::stop() {
  if (listen_fd_ < 0) return;
  const std::uint64_t one = 1;
  if (::write(stop_fd_, &one, sizeof(one)) != sizeof(one)) {
    log_->error("cannot signal the unix connector's threads to stop: {}", os_error(errno));
  }
  if (acceptor_.joinable()) acceptor_.join();
  // The acceptor has ended: nothing adds to the list any more.
  for (Connection& connection : connections_) connection.thread.join();
  connections_.clear();
  ::close(listen_fd_);
  listen_fd_ = -1;
  ::close(stop_fd_);
  stop_fd_ = -1;
  struct stat info {};
  if (::lstat(path_.c_str(), &info) == 0 && info.st_ino == socket_inode_) {
    ::unlink(path_.c_str());
  }
  log_->info("stopped serving PowerDNS on unix socket {}", path_.string());
}

void UnixConnector::reap_finished() {
  for (auto it = connections_.begin(); it != connections_.end();) {
    if (it->done) {
      it->thread.join();  // returns at once: the thread only had to unlock
      it = connections_.erase(it);
    } else {
      ++it;
    }
  }
}

void UnixConnector::accept_loop() {
  while (wait_ready(listen_fd_, POLLIN, stop_fd_)) {
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK || errno == ECONNABORTED) {
        continue;
      }
      log_->error("accepting a connection on unix socket {} failed: {}; retrying in 1 s",
                  path_.string(), os_error(errno));
      std::array<pollfd, 1> stop{{{stop_fd_, POLLIN, 0}}};
      if (::poll(stop.data(), stop.size(), 1000) > 0) break;
      continue;
    }
    std::lock_guard lock(mutex_);
    reap_finished();
    if (connections_.size() >= kMaxConnections) {
      log_->warn("refusing a connection on unix socket {}: {} are open already", path_.string(),
                 kMaxConnections);
      ::close(fd);
      continue;
    }
    Connection& connection = connections_.emplace_back();
    connection.fd = fd;
    connection.thread = std::thread([this, &connection] { serve(connection); });
  }
}

void UnixConnector::serve(Connection& connection) {
  const int fd = connection.fd;
  RemoteProtocol protocol(view_, log_);
  std::string buffer;
  std::string reply;
  std::array<char, kReadChunkBytes> chunk{};
  bool open = true;
  while (open && wait_ready(fd, POLLIN, stop_fd_)) {
    const ssize_t n = ::recv(fd, chunk.data(), chunk.size(), MSG_DONTWAIT);
    if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)) continue;
    if (n <= 0) {
      if (!is_blank(buffer)) {
        log_->info(
            "PowerDNS closed a remote-backend connection in the middle of a request "
            "({} bytes unanswered)",
            buffer.size());
      }
      break;
    }
    // Only the new bytes can hold a newline: the rest was searched before.
    std::size_t search_from = buffer.size();
    buffer.append(chunk.data(), static_cast<std::size_t>(n));
    std::size_t line_start = 0;
    for (std::size_t newline = buffer.find('\n', search_from); newline != std::string::npos;
         newline = buffer.find('\n', line_start)) {
      const std::string_view line(buffer.data() + line_start, newline - line_start);
      line_start = newline + 1;
      if (is_blank(line)) continue;
      protocol.handle(line, reply);
      reply.push_back('\n');
      if (!write_all(fd, reply, stop_fd_)) {
        open = false;
        break;
      }
    }
    buffer.erase(0, line_start);
    if (open && buffer.size() > kMaxRequestBytes) {
      log_->warn(
          "closing a remote-backend connection on {}: a request passed {} bytes "
          "without its newline",
          path_.string(), kMaxRequestBytes);
      write_all(fd, "{\"result\":false}\n", stop_fd_);
      open = false;
    }
  }
  ::close(fd);
  std::lock_guard lock(mutex_);
  connection.fd = -1;
  connection.done = true;
}

}  // namespace formation::dns_powerdns
