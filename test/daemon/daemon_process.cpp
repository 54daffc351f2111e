#include "daemon_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <random>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace formation::testing {
namespace {

std::string read_all(int fd) {
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  return out;
}

pid_t spawn(const std::vector<std::string>& args, int out_fd, int err_fd) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out_fd, 1);
  if (err_fd >= 0) posix_spawn_file_actions_adddup2(&actions, err_fd, 2);
  std::vector<char*> argv;
  std::string binary = FORMATIOND_PATH;
  argv.push_back(binary.data());
  std::vector<std::string> copy = args;
  for (auto& a : copy) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = -1;
  int rc = posix_spawn(&pid, binary.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw std::runtime_error("cannot start " + binary);
  return pid;
}

}  // namespace

TempConfig::TempConfig(std::vector<std::filesystem::path> plugin_dirs,
                       const std::string& extra_json) {
  std::random_device rd;
  dir_ = std::filesystem::temp_directory_path() / ("formation-test-" + std::to_string(rd()));
  std::filesystem::create_directories(dir_ / "plugins.d");
  std::string dirs;
  for (const auto& d : plugin_dirs) dirs += (dirs.empty() ? "\"" : ", \"") + d.string() + "\"";
  std::ofstream(dir_ / "formation.json")
      << "{\"listen\": {\"address\": \"127.0.0.1\", \"port\": 0}, \"data_dir\": \"data\", "
      << "\"plugin_dirs\": [" << dirs << "]" << (extra_json.empty() ? "" : ", " + extra_json)
      << "}\n";
}

TempConfig::~TempConfig() {
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

void TempConfig::add_plugin_file(const std::string& name, const std::string& json) const {
  std::ofstream(dir_ / "plugins.d" / name) << json;
}

CommandResult run_formationd(const std::vector<std::string>& args) {
  int out[2], err[2];
  if (::pipe(out) != 0 || ::pipe(err) != 0) throw std::runtime_error("pipe");
  pid_t pid = spawn(args, out[1], err[1]);
  ::close(out[1]);
  ::close(err[1]);
  CommandResult result;
  std::thread err_reader([&] { result.err = read_all(err[0]); });
  result.out = read_all(out[0]);
  err_reader.join();
  ::close(out[0]);
  ::close(err[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

DaemonProcess::DaemonProcess(const std::filesystem::path& config_dir) {
  int out[2];
  if (::pipe(out) != 0) throw std::runtime_error("pipe");
  pid_ = spawn({"--config-dir", config_dir.string()}, out[1], -1);
  ::close(out[1]);
  stdout_fd_ = out[0];
  const std::string marker = "formationd listening on ";
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{stdout_fd_, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    char buf[512];
    ssize_t n = ::read(stdout_fd_, buf, sizeof buf);
    if (n <= 0) break;  // exited before listening
    startup_output_.append(buf, static_cast<size_t>(n));
    auto at = startup_output_.find(marker);
    auto eol = startup_output_.find('\n', at == std::string::npos ? 0 : at);
    if (at != std::string::npos && eol != std::string::npos) {
      url_ = startup_output_.substr(at + marker.size(), eol - at - marker.size());
      port_ = static_cast<std::uint16_t>(std::stoi(url_.substr(url_.rfind(':') + 1)));
      return;
    }
  }
}

DaemonProcess::~DaemonProcess() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  if (stdout_fd_ >= 0) ::close(stdout_fd_);
}

void DaemonProcess::signal(int sig) const {
  if (pid_ > 0) ::kill(pid_, sig);
}

int DaemonProcess::wait_exit(int seconds) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      pid_ = -1;
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return -1;
}

}  // namespace formation::testing
