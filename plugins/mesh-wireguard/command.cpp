#include "command.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <thread>

extern char** environ;  // NOLINT(readability-redundant-declaration): POSIX gives no header

namespace formation::mesh_wireguard {

namespace {

std::vector<char*> c_strings(std::vector<std::string>& values) {
  std::vector<char*> out;
  out.reserve(values.size() + 1);
  for (auto& v : values) out.push_back(v.data());
  out.push_back(nullptr);
  return out;
}

std::string describe(const std::vector<std::string>& argv) {
  std::string out;
  for (const auto& a : argv) {
    if (out.size() > 200) return out + " ...";
    out += (out.empty() ? "" : " ") + a;
  }
  return out;
}

// Reads both pipes to their end without one filling up while the other is read.
void drain(int out_fd, int err_fd, std::string& out, std::string& err) {
  std::array<pollfd, 2> fds{pollfd{out_fd, POLLIN, 0}, pollfd{err_fd, POLLIN, 0}};
  std::array<char, 65536> buffer{};
  int open = 2;
  while (open > 0) {
    if (::poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    for (std::size_t i = 0; i < fds.size(); ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      const auto n = ::read(fds[i].fd, buffer.data(), buffer.size());
      if (n > 0) {
        (i == 0 ? out : err).append(buffer.data(), static_cast<std::size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        fds[i].fd = -1;
        --open;
      }
    }
  }
}

}  // namespace

std::vector<std::string> CommandRunner::full(const std::vector<std::string>& argv) const {
  if (netns_.empty()) return argv;
  std::vector<std::string> out{"ip", "netns", "exec", netns_};
  out.insert(out.end(), argv.begin(), argv.end());
  return out;
}

Result<CommandResult> CommandRunner::run(const std::vector<std::string>& argv) const {
  auto args = full(argv);
  std::array<int, 2> out_pipe{};
  std::array<int, 2> err_pipe{};
  if (::pipe2(out_pipe.data(), O_CLOEXEC) != 0) return Status::unavailable("pipe failed");
  if (::pipe2(err_pipe.data(), O_CLOEXEC) != 0) {
    ::close(out_pipe[0]);
    ::close(out_pipe[1]);
    return Status::unavailable("pipe failed");
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err_pipe[1], 2);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  auto c_args = c_strings(args);
  pid_t pid = 0;
  const int rc = ::posix_spawnp(&pid, c_args[0], &actions, nullptr, c_args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  CommandResult result;
  if (rc == 0) drain(out_pipe[0], err_pipe[0], result.out, result.err);
  ::close(out_pipe[0]);
  ::close(err_pipe[0]);
  if (rc != 0) {
    return Status::unavailable("cannot run " + args[0] + ": " + std::strerror(rc));
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

Result<std::string> CommandRunner::check(const std::vector<std::string>& argv) const {
  auto result = run(argv);
  if (!result.is_ok()) return result.status();
  if (result->exit_code != 0) {
    auto err = result->err;
    while (!err.empty() && err.back() == '\n') err.pop_back();
    return Status::unavailable("`" + describe(full(argv)) + "` exited with " +
                               std::to_string(result->exit_code) + (err.empty() ? "" : ": " + err));
  }
  return std::move(result->out);
}

Result<pid_t> CommandRunner::spawn(const std::vector<std::string>& argv,
                                   const std::vector<std::string>& extra_env,
                                   const std::filesystem::path& log) const {
  auto args = full(argv);
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) env.emplace_back(*e);
  env.insert(env.end(), extra_env.begin(), extra_env.end());
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  auto c_args = c_strings(args);
  auto c_env = c_strings(env);
  pid_t pid = 0;
  const int rc = ::posix_spawnp(&pid, c_args[0], &actions, nullptr, c_args.data(), c_env.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return Status::unavailable("cannot run " + args[0] + ": " + std::strerror(rc));
  return pid;
}

bool process_running(pid_t pid) {
  int status = 0;
  const auto rc = ::waitpid(pid, &status, WNOHANG);
  return rc == 0;
}

bool terminate_process(pid_t pid, std::chrono::milliseconds grace) {
  if (pid <= 0) return true;
  ::kill(pid, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + grace;
  while (std::chrono::steady_clock::now() < deadline) {
    if (!process_running(pid)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ::kill(pid, SIGKILL);
  int status = 0;
  return ::waitpid(pid, &status, 0) == pid || errno == ECHILD;
}

}  // namespace formation::mesh_wireguard
