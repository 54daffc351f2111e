// Unix-socket connector: POSIX sockets, one thread per pdns connection (the accepting,
// the threads and stopping them are connection_threads.cpp's).
#include "unix_connector.hpp"

#include <fmt/format.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <string>
#include <string_view>

#include "remote_protocol.hpp"

namespace formation::dns_powerdns {
namespace {

constexpr std::size_t kReadChunkBytes = std::size_t{16} * 1024;

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
    : view_(view), log_(std::move(log)), threads_("unix connector", log_) {}

UnixConnector::~UnixConnector() { stop(); }

Status UnixConnector::start(const std::filesystem::path& path, std::uint32_t mode) {
  if (threads_.running()) {
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
  if (const int error = threads_.open_stop_event(); error != 0) {
    ::unlink(path.c_str());
    return fail("create the stop event for", error);
  }
  path_ = path;
  socket_inode_ = info.st_ino;
  threads_.start(fd, "unix socket " + native,
                 [this](int connection, int stop_fd) { serve(connection, stop_fd); });
  log_->info("serving PowerDNS's remote backend on unix socket {} (mode {:04o})", native, mode);
  return Status::ok();
}

void UnixConnector::stop() {
  if (!threads_.running()) return;
  threads_.stop();
  struct stat info {};
  if (::lstat(path_.c_str(), &info) == 0 && info.st_ino == socket_inode_) {
    ::unlink(path_.c_str());
  }
  log_->info("stopped serving PowerDNS on unix socket {}", path_.string());
}

void UnixConnector::serve(int fd, int stop_fd) {
  RemoteProtocol protocol(view_, log_);
  std::string buffer;
  std::string reply;
  std::array<char, kReadChunkBytes> chunk{};
  bool open = true;
  // A plain blocking read, not poll() then read(): one system call less on every round
  // trip, which is most of what a lookup costs. stop() ends the read with shutdown().
  while (open) {
    const ssize_t n = ::recv(fd, chunk.data(), chunk.size(), 0);
    if (n < 0 && errno == EINTR) continue;
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
      if (!write_all(fd, reply, stop_fd)) {
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
      write_all(fd, "{\"result\":false}\n", stop_fd);
      open = false;
    }
  }
}

}  // namespace formation::dns_powerdns
